import { Logger } from '@nestjs/common';

// Medium and e2e runs print only warnings and errors from the server.
Logger.overrideLogger(['error', 'warn']);
