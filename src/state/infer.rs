//! Guessing a state model from a contract's paths (`mimeo state infer`).
