/** `JITGATE_URL=http://127.0.0.1:4000 npx tsx examples/express-app/server.ts` next to `npm start`. */
import { paymentsApp } from './app';

const port = Number(process.env.PORT ?? 3000);
paymentsApp().listen(port, '127.0.0.1', () => {
  console.log(`payments service on http://127.0.0.1:${port} (jitgate at ${process.env.JITGATE_URL})`);
});
