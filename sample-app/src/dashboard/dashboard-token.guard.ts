import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, UnauthorizedException } from '@nestjs/common';

/** The parts of an Express or Fastify request and response the guard reads and writes. */
interface HttpPair {
  readonly request: { readonly headers: Record<string, string | string[] | undefined> };
  readonly response: {
    header?(name: string, value: string): unknown;
    setHeader?(name: string, value: string): unknown;
  };
}

/**
 * Admits a request that carries `token` as HTTP Basic credentials (any user name, or `user` when
 * given; the password is the token) or as `Authorization: Bearer <token>`. Otherwise 401 with
 * `WWW-Authenticate: Basic`, so a browser asks for the password: the page's event stream and
 * fetches then carry it without any code. A sample's guard: in your app, check your operators'
 * session or SSO instead, and use HTTPS (Basic sends the password with every request).
 */
export class DashboardTokenGuard implements CanActivate {
  readonly #token: Buffer;

  constructor(
    token: string,
    private readonly user?: string,
  ) {
    this.#token = Buffer.from(token);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const { request, response } = {
      request: http.getRequest<HttpPair['request']>(),
      response: http.getResponse<HttpPair['response']>(),
    };
    const header = request.headers.authorization;
    if (typeof header === 'string' && this.#admits(header)) return true;
    const realm = `Basic realm="lock dashboard${this.user ? ` (${this.user})` : ''}", charset="UTF-8"`;
    if (response.header) response.header('WWW-Authenticate', realm);
    else response.setHeader?.('WWW-Authenticate', realm);
    throw new UnauthorizedException('the dashboard needs its token (DASHBOARD_TOKEN)');
  }

  #admits(header: string): boolean {
    const [scheme, value = ''] = header.split(' ', 2);
    if (scheme?.toLowerCase() === 'bearer') return this.#matches(value);
    if (scheme?.toLowerCase() !== 'basic') return false;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    if (this.user !== undefined && decoded.slice(0, colon) !== this.user) return false;
    return this.#matches(decoded.slice(colon + 1));
  }

  #matches(given: string): boolean {
    const bytes = Buffer.from(given);
    return bytes.length === this.#token.length && timingSafeEqual(bytes, this.#token);
  }
}
