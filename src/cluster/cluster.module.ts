import { Module } from '@nestjs/common';
import { CallsModule } from '../calls/calls.module';
import { MediaModule } from '../media/media.module';
import { QualityModule } from '../quality/quality.module';
import { CallRouting } from './call-routing';
import { ClusterNode } from './cluster-node';
import { Placement } from './placement';

/** Several gateways on one Redis: routing every call request to its owner node, placement, node loss and drain. */
@Module({
  imports: [CallsModule, QualityModule, MediaModule],
  providers: [Placement, CallRouting, ClusterNode],
  exports: [CallRouting, ClusterNode],
})
export class ClusterModule {}
