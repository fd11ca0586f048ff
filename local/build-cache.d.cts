/** Types of local/build-cache.cjs (plain CommonJS, so that `npm start` can run it before any build). */
export declare function sha(data: string | Buffer): string;
export declare function hashInputs(root: string, files: string[]): Record<string, string> | undefined;
export declare function prune(dir: string, keep?: Set<string>): void;
