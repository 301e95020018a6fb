// Package tritonpb holds Go types for the subset of NVIDIA Triton's model
// configuration (config.pbtxt) that EdgeServe reads when importing a Triton
// model repository. Generated from model_config.proto; `make proto`
// regenerates model_config.pb.go.
package tritonpb
