import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CallsModule } from '../calls/calls.module';
import { ClusterModule } from '../cluster/cluster.module';
import { InviteService } from './invites.service';
import { SessionService } from './session.service';
import { SessionsController } from './sessions.controller';

@Module({ imports: [CallsModule, ClusterModule, AuditModule], controllers: [SessionsController], providers: [InviteService, SessionService], exports: [SessionService] })
export class SessionsModule {}
