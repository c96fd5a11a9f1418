import { Module } from '@nestjs/common';
import { CallsModule } from '../calls/calls.module';
import { ClusterModule } from '../cluster/cluster.module';
import { MediaModule } from '../media/media.module';
import { AdminController } from './admin.controller';
import { AuditModule } from '../audit/audit.module';
import { OperationsService } from './operations.service';

@Module({ imports: [MediaModule, CallsModule, ClusterModule, AuditModule], controllers: [AdminController], providers: [OperationsService] })
export class AdminModule {}
