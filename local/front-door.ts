/**
 * Local mode's one port: `/dev/*` for what exists only locally (the development IdP, the
 * outbox, the metrics, the AWS endpoints the functions call) and `/health`, and every other
 * path for the template's routes, each invoking its function as API Gateway's proxy
 * integration does. local/server.ts builds the parts; this is how a request finds its part.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { redactUrl } from '../shared/domain/links';
import { proxyIntegrationFailure, toProxyEvent, writeProxyResult, type Router } from './apigateway';
import type { AwsEndpoint, AwsService } from './aws-guard';
import { healthHttpHandler, type HealthChecks } from './health';
import { refuseForeignHost } from './host-check';
import { BodyTooLargeError, readBody, sendProblem } from './http-util';
import type { LocalIdp } from './setup';

/** API Gateway's own payload limit: the handlers enforce 64 KiB themselves, with a 413 problem document. */
const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;
/** DynamoDB takes requests up to 16 MB (BatchWriteItem); the other services stay under the default 1 MiB. */
const DYNAMODB_MAX_BODY = 16 * 1024 * 1024;

export interface FrontDoorParts {
  port: number;
  idp: LocalIdp;
  /** The outbox and metrics pages: true (or a promise of it) when the request was theirs. */
  devPages: ((req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>)[];
  health: HealthChecks;
  awsEndpoints: Record<AwsService, AwsEndpoint>;
  router: Router;
  invokeLambda: (logicalId: string, payload: unknown) => Promise<unknown>;
  log: (line: string) => void;
}

/** The HTTP server of local mode, not yet listening. */
export function createFrontDoor(parts: FrontDoorParts): Server {
  const serve = frontDoor(parts);
  // API Gateway takes headers far beyond Node's 16 KiB default; a 100 KB bearer token must reach the handler (and get its 401), not a 431.
  return createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => {
    void serve(req, res).catch((err: Error) => {
      // Approval links are credentials: never print one (only the outbox prints links, on purpose).
      parts.log(`local mode: ${req.method} ${redactUrl(req.url ?? '/')} failed: ${err.stack ?? err.message}`);
      if (!res.headersSent) sendProblem(res, 500, 'Internal error', 'local mode failed to handle this request; see the console');
      else res.end();
    });
  });
}

function frontDoor(parts: FrontDoorParts): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { port, idp, router, invokeLambda, log } = parts;
  return async (req, res) => {
    const pathname = (req.url ?? '/').split('?')[0]!;
    if (pathname.startsWith('/dev/') && refuseForeignHost(req, res, port)) return;
    if (pathname === '/dev/idp' || pathname.startsWith('/dev/idp/')) return idp.handle(req, res);
    for (const page of parts.devPages) if (await page(req, res)) return;
    if (await healthHttpHandler(parts.health, req, res)) return;
    // The AWS SDK posts to the endpoint's path with a trailing slash.
    const service = /^\/dev\/aws\/(sfn|sns|dynamodb|secretsmanager)\/?$/.exec(pathname)?.[1] as AwsService | undefined;
    if (service) {
      let body: string;
      try {
        body = (await readBody(req, service === 'dynamodb' ? DYNAMODB_MAX_BODY : undefined)).toString('utf8');
      } catch (error) {
        if (error instanceof BodyTooLargeError)
          return sendProblem(res, 413, 'Payload too large', `the ${service} endpoint takes at most ${error.limit} bytes`);
        throw error;
      }
      return parts.awsEndpoints[service](req, res, body);
    }
    const match = router.match(req.method ?? 'GET', pathname);
    if (!match) return sendProblem(res, 404, 'Not found', `no route ${req.method} ${pathname}`);
    let body: Buffer;
    try {
      body = await readBody(req, API_GATEWAY_MAX_BODY);
    } catch {
      return sendProblem(res, 413, 'Payload too large', 'the body is larger than API Gateway accepts');
    }
    if (match.kind === 'mock') {
      res.writeHead(match.statusCode, match.headers);
      res.end(match.body);
      return;
    }
    const event = toProxyEvent(req, body, match, { stage: 'prod', domainName: `127.0.0.1:${port}` });
    const result = await invokeLambda(match.functionLogicalId, event).catch((err: Error) => {
      log(`local mode: function ${match.functionLogicalId} failed: ${err.name}: ${err.message}`);
      return proxyIntegrationFailure(err);
    });
    writeProxyResult(res, result as Parameters<typeof writeProxyResult>[1]);
  };
}
