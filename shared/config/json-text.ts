/**
 * The config file's JSON, parsed with a message that says where it breaks. V8's
 * `JSON.parse` errors give a character offset at best ("at position 1234") and none for
 * some mistakes ("Unexpected token 'x'"); a person editing the file needs the line, the
 * column and the line itself.
 */
import { ConfigError } from '../domain/errors';

/** Where `text` stops being JSON (RFC 8259), or -1 when it is JSON. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const fail = (): never => {
    throw new RangeError(String(i));
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') return void i++;
      if (c < ' ') fail();
      if (c === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    fail();
  };
  const value = (): void => {
    ws();
    const open = text[i];
    if (open === '{' || open === '[') {
      const close = open === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (open === '{') {
          ws();
          if (text[i] !== '"') fail();
          string();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) {
          i++;
          return;
        } else fail();
      }
    }
    if (open === '"') {
      string();
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    number.lastIndex = i;
    const m = number.exec(text);
    if (!m) fail();
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return -1;
  } catch (err) {
    if (err instanceof RangeError && /^\d+$/.test(err.message)) return Number(err.message);
    throw err;
  }
}

/** 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/** `JSON.parse`, or a ConfigError naming `source`, the line and column, and showing the line with a caret under the spot. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const offset = jsonErrorOffset(text);
    const what = (err as Error).message.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*" is not valid JSON$/s, '');
    if (offset < 0) throw new ConfigError(`${source} is not valid JSON: ${what}`);
    const { line, column } = lineAndColumn(text, offset);
    const shown = (text.split('\n')[line - 1] ?? '').replace(/\r$/, '');
    // A long line is shown around the column, so the caret stays under the mistake.
    const from = Math.max(0, column - 60);
    const excerpt = shown.slice(from, from + 120).replace(/\t/g, ' ');
    const where = `line ${line}, column ${column}`;
    throw new ConfigError(`${source} is not valid JSON at ${where}: ${what}\n  ${excerpt}\n  ${' '.repeat(column - 1 - from)}^`, [where]);
  }
}
