// The simulator's named policies live in policies/ (index.ts lists them; one file per peer).
export * from './policies/index.ts';
