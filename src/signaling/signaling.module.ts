import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { CallsModule } from '../calls/calls.module';
import { QualityModule } from '../quality/quality.module';
import { ClusterModule } from '../cluster/cluster.module';
import { CallsController } from './calls.controller';
import { DevTokenController } from './dev-token.controller';
import { MeController } from './me.controller';
import { SignalingGateway } from './signaling.gateway';

@Module({})
export class SignalingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SignalingModule,
      imports: [CallsModule, QualityModule, ClusterModule],
      // The dev token route exists only where devTokensOn() allows it (never in production).
      controllers: config.devTokens ? [CallsController, MeController, DevTokenController] : [CallsController, MeController],
      providers: [SignalingGateway],
    };
  }
}
