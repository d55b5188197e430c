import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { errorFields, type Logger } from '@harness/logging';
import { toHttpError } from './error-mapping.js';
import type { HttpRequest, HttpResponse } from './types.js';
import { writeHttpError } from './write-error.js';

/** Every error of every route becomes `{"error":{code, message, details?}}`; unexpected ones are logged, never shown. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<HttpRequest>();
    const res = http.getResponse<HttpResponse>();
    const e = toHttpError(exception);
    const log = { correlationId: req.correlationId, method: req.method, path: req.url?.split('?')[0], status: e.status };
    if (e.unexpected) this.logger.error({ ...log, ...errorFields(exception) }, 'unexpected error');
    else this.logger.debug({ ...log, code: e.body.error.code }, 'request refused');
    writeHttpError(res, e);
  }
}
