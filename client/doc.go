// Package client calls EdgeServe nodes over gRPC: the admin service (push,
// list, remove, load, unload) and the Open Inference Protocol (metadata,
// infer). The CLI uses it, and so do node-to-node calls.
//
// A Client holds a list of node addresses and tries them in turn: a call
// moves on to the next address only when a node cannot be reached
// (codes.Unavailable); any other answer, error or not, is the answer. The
// address that answered last is tried first next time.
//
// The admin bearer token travels only on admin calls; inference calls carry
// none. Dial refuses a configuration that would send the token in
// plaintext to a host beyond loopback, unless Config.Insecure says the
// network is trusted.
//
// Push is resumable: it asks the node how many bytes of the same content
// (by sha256) it already holds from an interrupted upload and sends the
// rest, reporting progress to a callback.
package client
