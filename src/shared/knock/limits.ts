/** A knock header longer than this is refused before any decoding (README, "The knock": 8 KiB). */
export const MAX_KNOCK_BYTES = 8 * 1024;

/**
 * How far in the future a token's time may lie and still count: the clocks of the machine that
 * made it and of this one may disagree a little. The same 60 s as Python's `cryptography.fernet`.
 */
export const MAX_CLOCK_SKEW_SECONDS = 60;
