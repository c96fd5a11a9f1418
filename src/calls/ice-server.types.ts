/** An RTCIceServer as handed to clients in the `call:join` ack (types only: the client imports it too). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}
