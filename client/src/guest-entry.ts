import { byTestId } from './dom';

/**
 * The guest's entry screen for an invite link: a name field, a local camera preview (a check
 * only: no media is sent), and Join. The preview's tracks stop whenever the screen is left.
 */
export class GuestEntry {
  readonly root = byTestId<HTMLElement>('guest-entry');
  readonly nameInput = byTestId<HTMLInputElement>('guest-name');
  readonly joinButton = byTestId<HTMLButtonElement>('guest-join');
  private readonly video = byTestId<HTMLVideoElement>('guest-preview');
  private readonly previewStatus = byTestId<HTMLElement>('guest-preview-status');
  private stream: MediaStream | null = null;
  /** Bumped by stopPreview(), so a capture that resolves after leaving the check is stopped at once. */
  private generation = 0;

  /** True while the preview holds a live camera track. */
  get previewLive(): boolean {
    return this.stream?.getVideoTracks().some((t) => t.readyState === 'live') ?? false;
  }

  async startPreview(): Promise<void> {
    if (this.stream) return;
    const gen = ++this.generation;
    this.previewStatus.textContent = 'Checking your camera…';
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      if (gen !== this.generation) {
        for (const t of stream.getTracks()) t.stop();
        return;
      }
      this.stream = stream;
      this.video.srcObject = stream;
      this.previewStatus.textContent = 'Your camera works';
    } catch (err) {
      if (gen === this.generation) this.previewStatus.textContent = `No camera: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  stopPreview(): void {
    this.generation++;
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.previewStatus.textContent = 'Camera check stopped';
  }
}
