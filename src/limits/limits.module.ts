import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { HttpRateLimit } from './http-rate-limit';
import { RateLimits } from './rate-limits';

/** Abuse limits for every socket event and REST route (see RateLimits, HttpRateLimit). */
@Global()
@Module({ providers: [RateLimits, { provide: APP_INTERCEPTOR, useClass: HttpRateLimit }], exports: [RateLimits] })
export class LimitsModule {}
