//! loadgen: measures the stage servers (stub).
