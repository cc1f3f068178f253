import type { EventStream } from './events';

/** What every page gets: the shared event stream. A page returns its cleanup function. */
export interface AppContext {
  events: EventStream;
}

export type Page = (root: HTMLElement, ctx: AppContext, params: string[]) => () => void;
