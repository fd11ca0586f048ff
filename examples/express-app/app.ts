/**
 * A small payments service guarded by jitgate: approving a payment is `payments:approve`
 * in the demo config (examples/demo/jitgate.config.json), which takes a justification, the requester's TOTP
 * code and one approval each from security-admins and finance-approvers, and grants one use.
 *
 *   POST /payments/:id/approve  {"justification": "..."}  with the caller's IdP token as Bearer
 *
 * 403 says what is still missing; with a justification and no request yet, the middleware asks
 * jitgate for one and answers 202 with its id and Location. Once approved, the call goes
 * through once: the grant is consumed, and the next call needs a new approval.
 */
import express, { type Request } from 'express';
import { requireApproval, type Approved } from 'jitgate/express';

export interface Payment {
  id: string;
  amount: number;
  currency: string;
  status: 'pending' | 'approved';
  grant?: string;
}

/** The app; `jitgateUrl` defaults to JITGATE_URL. */
export function paymentsApp(options: { jitgateUrl?: string; payments?: Payment[] } = {}): express.Express {
  const seed: Payment[] = options.payments ?? [{ id: '42', amount: 125_000, currency: 'EUR', status: 'pending' }];
  const payments = new Map(seed.map((p) => [p.id, p]));
  const app = express();
  app.use(express.json());

  app.get('/payments/:id', (req: Request<{ id: string }>, res) => {
    const payment = payments.get(req.params.id);
    if (!payment) return void res.status(404).json({ error: 'no such payment' });
    res.json(payment);
  });

  app.post(
    '/payments/:id/approve',
    requireApproval<Request<{ id: string }>>({
      url: options.jitgateUrl,
      action: 'payments:approve',
      resource: (req) => `payments/${req.params.id}`,
      consume: true,
      autoRequest: { justification: (req) => (typeof req.body?.justification === 'string' ? req.body.justification : undefined) },
    }),
    (req, res) => {
      const payment = payments.get(req.params.id);
      if (!payment) return void res.status(404).json({ error: 'no such payment' });
      const { jitgate } = req as Approved<typeof req>;
      payment.status = 'approved';
      payment.grant = jitgate.grant?.requestId;
      res.json(payment);
    },
  );
  return app;
}
