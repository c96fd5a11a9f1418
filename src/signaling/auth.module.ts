import { Global, Module } from '@nestjs/common';
import { TokenVerifier } from './auth';

/** Token verification for every edge (socket handshake, REST guards). */
@Global()
@Module({ providers: [TokenVerifier], exports: [TokenVerifier] })
export class AuthModule {}
