/**
 * Checks real responses against what GET /openapi.json declares for them: the operation
 * (path template and method), the status (or `default`), the content type and the body's
 * schema. Twice: as declared (open objects, since fields may be added), and closed, so a
 * field the code sends and the document does not name fails here.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';

type Json = Record<string, any>;

export interface Checked {
  operation: string;
  status: number;
}

export class OpenApiContract {
  private readonly open = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  private readonly closed = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  private readonly compiled = new Map<string, [ValidateFunction, ValidateFunction]>();
  /** Every operation and status seen, for the coverage assertion. */
  readonly seen: Checked[] = [];

  constructor(readonly doc: Json) {
    this.open.addSchema({ $id: 'https://jitgate.test/open', components: doc.components });
    this.closed.addSchema({ $id: 'https://jitgate.test/closed', components: closeObjects(structuredClone(doc.components)) });
  }

  /** Throws, naming the route and the mismatch, unless the response is one the document declares. */
  check(method: string, url: string, status: number, contentType: string | null, body: unknown): void {
    const pathname = new URL(url).pathname;
    // Literal paths first: /approve/callback is not /approve/{link}.
    const byLiteralness = Object.entries(this.doc.paths as Json).sort(([a], [b]) => a.split('{').length - b.split('{').length);
    const [template, item] = byLiteralness.find(([t]) => matches(t, pathname)) ?? [];
    const where = `${method} ${pathname} -> ${status}`;
    if (!template) throw new Error(`${where}: no path in the document matches`);
    const operation = item[method.toLowerCase()];
    if (!operation) throw new Error(`${where}: the document has no ${method} for ${template}`);
    const response = operation.responses[String(status)] ?? operation.responses.default;
    if (!response) throw new Error(`${where}: status not declared for ${method} ${template}`);
    const type = (contentType ?? '').split(';')[0]!.trim();
    const media = response.content?.[type];
    const declared = Object.keys(response.content ?? {}).join(', ');
    if (!media) throw new Error(`${where}: content type "${type}" not declared (declared: ${declared})`);
    this.seen.push({ operation: `${method} ${template}`, status });
    const ref: string | undefined = media.schema?.$ref;
    if (!ref) return;
    const [open, closed] = this.validators(ref);
    for (const [name, validate] of [
      ['declared', open],
      ['closed (no undeclared fields)', closed],
    ] as const) {
      if (!validate(body)) {
        const errors = relevant(validate.errors ?? [])
          .slice(0, 8)
          .map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
        const sent = JSON.stringify(body).slice(0, 1500);
        throw new Error(`${where}: the body does not match ${ref}, ${name}: ${errors.join('; ')}\nbody: ${sent}`);
      }
    }
  }

  /** A `fetch` that checks every response it hands back. */
  fetch(): typeof fetch {
    return async (input, init) => {
      const res = await fetch(input, init);
      const text = await res.clone().text();
      const body = text && /^application\/([a-z.+-]*\+)?json\b/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
      this.check(init?.method ?? 'GET', String(input), res.status, res.headers.get('content-type'), body);
      return res;
    };
  }

  private validators(ref: string): [ValidateFunction, ValidateFunction] {
    let pair = this.compiled.get(ref);
    if (!pair) {
      pair = [
        this.open.compile({ $ref: `https://jitgate.test/open${ref}` }),
        this.closed.compile({ $ref: `https://jitgate.test/closed${ref}` }),
      ];
      this.compiled.set(ref, pair);
    }
    return pair;
  }
}

/** Of a oneOf's errors, those of the branches whose discriminator matched (a request's `status`). */
function relevant(errors: ErrorObject[]): ErrorObject[] {
  const wrongBranch = new Set(errors.filter((e) => e.keyword === 'const' && e.instancePath.endsWith('/status')).map((e) => branchOf(e)));
  return errors.filter((e) => e.keyword !== 'oneOf' && !wrongBranch.has(branchOf(e)));
}

const branchOf = (e: ErrorObject) => /^(.*\/oneOf\/\d+)\//.exec(e.schemaPath)?.[1] ?? '';

function matches(template: string, pathname: string): boolean {
  const pattern = template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+');
  return new RegExp(`^${pattern}$`).test(pathname);
}

/** Every object schema that names its properties and leaves the rest open gets `additionalProperties: false`. */
function closeObjects(node: unknown): any {
  if (Array.isArray(node)) node.forEach(closeObjects);
  else if (node && typeof node === 'object') {
    const o = node as Json;
    if (o.properties && o.additionalProperties === undefined) o.additionalProperties = false;
    Object.values(o).forEach(closeObjects);
  }
  return node;
}
