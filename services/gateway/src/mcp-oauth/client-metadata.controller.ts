import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Config } from '@harness/config';
import { DomainError } from '@harness/contracts';
import { Public } from '../auth/auth.guard.js';
import { CONFIG } from '../core/tokens.js';
import type { HttpResponse } from '../http/types.js';

/** The path Harness serves its OAuth Client ID Metadata Document at (its URL is the client_id). */
export const CLIENT_METADATA_PATH = 'oauth/client-metadata.json';

/**
 * Harness's OAuth Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document): authorization servers
 * that support CIMD fetch it from `client_id` itself. Served only when HARNESS_OAUTH_CLIENT_METADATA_URL (or an https
 * PUBLIC_URL) gives it a URL; 404 otherwise.
 */
@Public()
@Controller()
export class ClientMetadataController {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  @Get(CLIENT_METADATA_PATH)
  metadata(@Res() res: HttpResponse) {
    const { clientMetadataUrl, redirectUrl } = this.config.oauth;
    if (!clientMetadataUrl) throw new DomainError('not_found', 'not found');
    const document = {
      client_id: clientMetadataUrl,
      client_name: 'Harness',
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'web',
    };
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'public, max-age=300');
    res.setHeader('x-content-type-options', 'nosniff');
    res.end(JSON.stringify(document));
  }
}
