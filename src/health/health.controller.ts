import { Controller, Get, HttpException } from '@nestjs/common';
import { MediaService } from '../media/media.service';
import { DatabaseHealth } from '../persistence/database-health';

@Controller('health')
export class HealthController {
  constructor(
    private readonly media: MediaService,
    private readonly db: DatabaseHealth,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<{ status: 'ok'; workers: number }> {
    const workers = this.media.pool.size;
    const database = await this.db.ping();
    if (!database || workers === 0) throw new HttpException({ status: 'unavailable', database, workers }, 503);
    return { status: 'ok', workers };
  }
}
