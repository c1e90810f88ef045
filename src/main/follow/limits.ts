/** The most hops a followed request is passed on to: hop 1 is the knocked request itself. */
export const MAX_HOPS = 8;

/** How long a hop's knock is valid after it was made: long enough for one call, no more. */
export const HOP_KNOCK_TTL_SECONDS = 60;

/** Hop knocks' nonces remembered at once; beyond that, new hop knocks are refused until some expire. */
export const MAX_REMEMBERED_NONCES = 4096;

/** Longest `origin` and service name a hop knock may carry (they are shown in titles and log lines). */
export const MAX_LABEL_LENGTH = 200;
