package replay

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/edgeserve/edgeserve/client"
	"github.com/edgeserve/edgeserve/runtime"
)

// Session holds a connection to each given node. It is safe for
// concurrent use, but one Run at a time.
type Session struct {
	cfg     Config
	deps    Deps
	targets *targets
	// nodes has one client per cfg.Nodes, calling that node only; any
	// calls them all in turn (metadata, the index).
	nodes []*client.Client
	any   *client.Client
}

// Open validates cfg and prepares a client per node; nothing is dialled
// before the first call.
func Open(cfg Config, deps Deps) (*Session, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t, err := newTargets(cfg.Nodes)
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg, deps: deps, targets: t}
	addrs := make([]string, len(cfg.Nodes))
	for i, n := range cfg.Nodes {
		addrs[i] = n.Addr
		c, err := s.dial(n.Addr)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.nodes = append(s.nodes, c)
	}
	if s.any, err = s.dial(addrs...); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// dial makes a client of addrs with the session's transport. A replay
// makes inference calls only: it carries no admin token.
func (s *Session) dial(addrs ...string) (*client.Client, error) {
	cc := s.cfg.Client
	cc.Addrs, cc.AdminToken, cc.Dialer = addrs, "", s.deps.Dialer
	c, err := client.Dial(cc)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	return c, nil
}

// Close closes every connection.
func (s *Session) Close() error {
	var errs []error
	for _, c := range append(s.nodes, s.any) {
		if c != nil {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// Models lists the models the first node that answers knows, sorted.
func (s *Session) Models(ctx context.Context) ([]string, error) {
	names, err := s.any.Index(ctx)
	if err != nil {
		return nil, fmt.Errorf("replay: model index: %w", err)
	}
	return names, nil
}

// maxMissingNamed bounds the models an error lists by name.
const maxMissingNamed = 10

// inputs reads each model's input signature from the nodes and makes its
// inputs. A model no node knows is an error naming it.
func (s *Session) inputs(ctx context.Context, models []string) (map[string][]runtime.Tensor, error) {
	out := make(map[string][]runtime.Tensor, len(models))
	var missing []string
	for _, m := range models {
		md, err := s.any.Metadata(ctx, m, "")
		if status.Code(err) == codes.NotFound {
			missing = append(missing, m)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("replay: metadata of %s: %w", m, err)
		}
		if out[m], err = client.SeededInputs(md.GetInputs(), s.cfg.Batch, s.cfg.Seed); err != nil {
			return nil, fmt.Errorf("replay: inputs of %s: %w", m, err)
		}
	}
	if len(missing) > 0 {
		return nil, missingError(missing, len(models))
	}
	return out, nil
}

func missingError(missing []string, of int) error {
	named := missing
	if len(named) > maxMissingNamed {
		named = named[:maxMissingNamed]
	}
	more := ""
	if len(missing) > len(named) {
		more = fmt.Sprintf(" and %d more", len(missing)-len(named))
	}
	return fmt.Errorf("replay: the cluster does not serve %d of the trace's %d models: %s%s "+
		"(push them, or map the trace onto the served models)", len(missing), of, strings.Join(named, ", "), more)
}
