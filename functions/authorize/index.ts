/**
 * The authorize function's Lambda entry: its handler (handler.ts), loaded after prefetch.ts has
 * asked the issuers for their signing keys. The order of the two imports is the point: the
 * bundle evaluates them in this order, so the keys are fetched while the rest loads.
 */
import './prefetch';

export { handler } from './handler';
