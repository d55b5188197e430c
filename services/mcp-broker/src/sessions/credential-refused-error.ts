/**
 * The MCP server refused the credential a session carried (HTTP 401 or 403, at connect or mid-session), with the
 * `WWW-Authenticate` challenge it sent, so the caller can refresh an OAuth token or step up its scopes.
 */
export class CredentialRefusedError extends Error {
  override readonly name = 'CredentialRefusedError';

  constructor(
    readonly status: 401 | 403,
    readonly wwwAuthenticate: string | undefined,
    override readonly cause: unknown,
  ) {
    // The message of the underlying error (it names the status), never the credential.
    super(cause instanceof Error ? cause.message : `the MCP server answered ${status}`);
  }
}
