// The descheduler's planner now lives in descheduling/ (strategies plus one evictor); this name stays
// for the callers that import it from here.

export * from './descheduling/plan.ts';
