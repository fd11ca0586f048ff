/*
 * DynamoDB Local, as its own ServerRunner starts it, with three changes for local mode
 * (compiled once by local/dynamodb-launcher.ts, run with the jar and its libraries on the class path):
 *
 * - it listens on 127.0.0.1 only: the jar has no option for the address and Jetty's
 *   `new Server(port)` binds every interface, so anyone on the network could write the
 *   table (a grant slot is an authorization);
 * - it answers only Host 127.0.0.1:<port> / localhost:<port> / [::1]:<port> (DNS rebinding);
 * - it refuses any request with an Origin header: browsers send one, the AWS SDK does not,
 *   and the jar's CORS default (`*`) would otherwise let any web page read and write it.
 */
import java.io.IOException;
import java.lang.reflect.Field;
import javax.servlet.ServletException;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.HandlerWrapper;
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;

public class LoopbackDynamoDbLocal {
  static final class LoopbackOnly extends HandlerWrapper {
    private final int port;

    LoopbackOnly(int port) {
      this.port = port;
    }

    @Override
    public void handle(String target, Request base, HttpServletRequest request, HttpServletResponse response) throws IOException, ServletException {
      String host = request.getHeader("Host") == null ? "" : request.getHeader("Host").toLowerCase();
      boolean loopback = host.equals("127.0.0.1:" + port) || host.equals("localhost:" + port) || host.equals("[::1]:" + port);
      if (!loopback || request.getHeader("Origin") != null) {
        base.setHandled(true);
        response.sendError(loopback ? 403 : 421, loopback ? "browser requests are refused" : "Host must be the loopback address");
        return;
      }
      super.handle(target, base, request, response);
    }
  }

  public static void main(String[] args) throws Exception {
    int port = 8000;
    for (int i = 0; i + 1 < args.length; i++) if (args[i].equals("-port")) port = Integer.parseInt(args[i + 1]);
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(proxy);
    for (Connector connector : jetty.getConnectors()) {
      if (!(connector instanceof ServerConnector)) throw new IllegalStateException("unexpected Jetty connector " + connector);
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    LoopbackOnly guard = new LoopbackOnly(port);
    guard.setHandler(jetty.getHandler());
    jetty.setHandler(guard);
    proxy.start();
  }
}
