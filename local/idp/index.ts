/** Local mode's development OpenID provider and the token signer it shares with the CLI. */
export { createDevIdp } from './provider';
export { publicJwk } from './keys';
export { createDevTokenSigner, UnknownDemoUser, type DevTokenSigner, type SignTokenOptions } from './signer';
