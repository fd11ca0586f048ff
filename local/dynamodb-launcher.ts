/**
 * Compiles local/java/LoopbackDynamoDbLocal.java once (with the JVM's own jdk.compiler
 * module, so a JRE that has it is enough) and caches the class under
 * node_modules/.cache/jitgate, keyed by the source and the jar: later starts of DynamoDB
 * Local skip the compiler, which costs seconds on a busy machine.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

const SOURCE = join(__dirname, 'java', 'LoopbackDynamoDbLocal.java');
export const LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';

/** The jar and its libraries on a class path. */
export function dynamoDbLocalClassPath(jarDir: string): string[] {
  return [join(jarDir, 'DynamoDBLocal.jar'), join(jarDir, 'DynamoDBLocal_lib', '*')];
}

/** The directory holding the compiled launcher class (compiled now if it is not cached). Rejects with javac's output. */
export async function compiledLauncher(javaPath: string, jarDir: string): Promise<string> {
  const jar = statSync(join(jarDir, 'DynamoDBLocal.jar'));
  const key = createHash('sha256').update(readFileSync(SOURCE)).update(`${jar.size}:${jar.mtimeMs}`).digest('hex').slice(0, 16);
  const dir = resolve(__dirname, '..', 'node_modules', '.cache', 'jitgate', `dynamodb-launcher-${key}`);
  if (existsSync(join(dir, `${LAUNCHER_CLASS}.class`))) return dir;
  const staging = `${dir}.${process.pid}`;
  mkdirSync(staging, { recursive: true });
  const classPath = dynamoDbLocalClassPath(jarDir).join(delimiter);
  try {
    await new Promise<void>((done, fail) =>
      execFile(
        javaPath,
        ['-m', 'jdk.compiler/com.sun.tools.javac.Main', '-proc:none', '-nowarn', '-d', staging, '-cp', classPath, SOURCE],
        (error, stdout, stderr) => (error ? fail(Object.assign(error, { output: `${stdout}${stderr}` })) : done()),
      ),
    );
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another process (a parallel test) finished first: its class is as good as ours.
      if (!existsSync(join(dir, `${LAUNCHER_CLASS}.class`))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dir;
}
