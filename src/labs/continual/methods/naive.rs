//! Naive fine-tuning: train on each task in turn with nothing to protect the old ones. The
//! baseline whose forgetting every other method is measured against.
