import { createHash } from 'node:crypto';
import type { RedisClientLike } from './redis-client.js';
import { RedisScriptReplyError } from './redis-script-reply.error.js';

/** The KEYS and ARGV of one script run, in the order the script reads them. */
export interface ScriptCall {
  readonly keys: readonly string[];
  readonly args: readonly (string | number)[];
}

/** What a reply parser may return: anything but `undefined`, which means "not this shape". */
export type ScriptReply = object | string | number | boolean | null;

/** How a Lua script is called and what it answers: the typed edge of one script. */
export interface ScriptSignature<In, Out extends ScriptReply> {
  /** The script's name in errors: its file's name, such as `"fair-acquire"`. */
  readonly name: string;
  /** The Lua; a constant, never built from user input. */
  readonly source: string;
  /** KEYS and ARGV for `input`. */
  readonly call: (input: In) => ScriptCall;
  /** The reply read as `Out`, or `undefined` when it is not of the shape the script returns. */
  readonly reply: (raw: unknown, input: In) => Out | undefined;
  /** The shape of a reply, for the error a wrong one becomes: `"{ nowMs, 1 | 0 per lease }"`. */
  readonly returns: string;
}

/**
 * A Lua script with typed arguments and a typed reply, called by its SHA1 (EVALSHA), falling back
 * to EVAL when the server does not have it cached yet (NOSCRIPT: first use, after a restart or
 * SCRIPT FLUSH), which also caches it. A reply of another shape is a {@link RedisScriptReplyError}.
 *
 * @example
 * ```ts
 * const released: boolean[] = await RELEASE.run(client, [{ key, owner }], 'redis');
 * ```
 */
export class RedisScript<In, Out extends ScriptReply> {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
  readonly #signature: ScriptSignature<In, Out>;

  constructor(signature: ScriptSignature<In, Out>) {
    this.#signature = signature;
    this.name = signature.name;
    this.source = signature.source;
    this.sha = createHash('sha1').update(signature.source).digest('hex');
  }

  /** KEYS and ARGV for `input`. */
  call(input: In): ScriptCall {
    return this.#signature.call(input);
  }

  /**
   * Reads a reply to a run with `input`.
   *
   * @throws RedisScriptReplyError, naming `backend` and the script, for a reply of another shape.
   */
  parse(raw: unknown, input: In, backend: string): Out {
    const reply = this.#signature.reply(raw, input);
    if (reply === undefined) {
      throw new RedisScriptReplyError(backend, this.name, raw, this.#signature.returns);
    }
    return reply;
  }

  /**
   * Runs the script with `input` on `client` by EVALSHA, or by EVAL after NOSCRIPT, and reads its
   * reply. One async frame for both: this is on the path of every acquire and release.
   */
  async run(client: RedisClientLike, input: In, backend: string): Promise<Out> {
    const { keys, args } = this.call(input);
    let raw: unknown;
    try {
      raw = await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      raw = await client.eval(this.source, keys.length, ...keys, ...args);
    }
    return this.parse(raw, input, backend);
  }
}
