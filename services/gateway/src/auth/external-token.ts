import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt, errors, jwtVerify } from 'jose';
import type { Config } from '@harness/config';
import { AuthSubjects, DomainError, ResolveIdentityCommand, ResolveIdentityResult, UserId } from '@harness/contracts';
import { commandDef as def } from '../core/send-command.js';
import { CONFIG } from '../core/tokens.js';
import { remoteKeys } from '../login/id-token.js';
import { ASYMMETRIC_ALGORITHMS } from '../login/oidc-discovery.js';
import { providerFetch } from '../login/provider-fetch.js';
import { AuthCommands } from '../mcp-oauth/auth-commands.js';

const resolveIdentity = def(() => AuthSubjects.resolveIdentity, ResolveIdentityCommand, ResolveIdentityResult);
const RESOLVE_TIMEOUT_MS = 5_000;
/** Identity → user answers kept on this replica (an identity's user never changes; the bound is for memory). */
const RESOLVED_ENTRIES = 10_000;

const BEARER_JWT = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i;

/**
 * Access tokens of an external IdP (HARNESS_JWT_JWKS_URL), for internal services that already hold one: signed by a
 * key of its JWKS with an asymmetric algorithm, `iss` and `aud` as configured, `exp` in the future. The user is `sub`
 * itself, or — with HARNESS_JWT_LOGIN_PROVIDER — the Harness user of that login provider's identity `sub` (who must
 * have signed in once, so the id is the one the browser has). Tokens of any other issuer are not for this verifier.
 */
@Injectable()
export class ExternalTokenVerifier {
  private readonly settings: NonNullable<Config['externalJwt']> | null;
  private readonly keys: ReturnType<typeof remoteKeys> | null;
  private readonly resolved = new Map<string, string>();

  constructor(@Inject(CONFIG) config: Config, @Inject(AuthCommands) private readonly auth: AuthCommands) {
    this.settings = config.externalJwt;
    this.keys = this.settings
      ? remoteKeys(this.settings.jwksUrl, providerFetch([this.settings.jwksUrl, this.settings.issuer].filter((u) => URL.canParse(u)), config.outboundAllowlist))
      : null;
  }

  /** True when the bearer is a JWT whose (unverified) issuer is the external IdP: then `verify` decides. */
  accepts(authorization: string | undefined): boolean {
    if (!this.settings) return false;
    const token = BEARER_JWT.exec(authorization ?? '')?.[1];
    if (!token) return false;
    try {
      return decodeJwt(token).iss === this.settings.issuer;
    } catch {
      return false;
    }
  }

  async verify(authorization: string | undefined): Promise<string> {
    const token = BEARER_JWT.exec(authorization ?? '')?.[1];
    if (!this.settings || !this.keys || !token) throw new DomainError('unauthorized', 'a bearer token is required');
    let sub: string;
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.settings.issuer, audience: this.settings.audience, algorithms: [...ASYMMETRIC_ALGORITHMS], requiredClaims: ['exp', 'sub'], clockTolerance: 30,
      });
      sub = payload.sub!;
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new DomainError('unauthorized', 'the token has expired');
      // The key set could not be fetched (timeout, network, refused by the outbound guard): not the caller's fault.
      if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
        throw new DomainError('service_unavailable', 'the identity provider\'s keys could not be fetched');
      }
      throw new DomainError('unauthorized', 'the token is not valid');
    }
    return this.settings.loginProviderId ? this.userOfIdentity(this.settings.loginProviderId, sub) : this.userIdOf(sub);
  }

  private userIdOf(sub: string): string {
    if (!UserId.safeParse(sub).success) throw new DomainError('unauthorized', 'the token subject is not a valid user id');
    return sub;
  }

  private async userOfIdentity(providerId: string, subject: string): Promise<string> {
    const cached = this.resolved.get(subject);
    if (cached) return cached;
    if (subject.length > 255) throw new DomainError('unauthorized', 'the token subject is not a valid identity');
    const { userId } = await this.auth.send(resolveIdentity, { providerId, subject }, RESOLVE_TIMEOUT_MS);
    if (!userId) throw new DomainError('unauthorized', `this identity has no Harness user yet: sign in to Harness once through "${providerId}"`);
    if (this.resolved.size >= RESOLVED_ENTRIES) this.resolved.delete(this.resolved.keys().next().value!);
    this.resolved.set(subject, userId);
    return userId;
  }
}
