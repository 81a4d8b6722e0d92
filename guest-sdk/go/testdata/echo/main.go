// The Go SDK's ABI test detector, not a product detector: it sends back
// what crossed the canonical ABI (events and store answers through the
// flat decoders, everything else as WIT records) so scenarios can compare
// it by value.
//
//   - `echo` events: every argument as a field of the same name (all six
//     value kinds), and the event header and process context as `event.*`
//     and `process.*` fields;
//   - `echo_config`: each init configuration pair as a `config.KEY` field;
//   - `probe_stores`: answers of the imported stores (process, ancestry,
//     container, DNS as record views; system, syscalls, registry, clock as
//     typed values);
//   - `probe_more`: kernel symbols, ip-reputation (a fixture store read
//     through a Reader, and a store of its own written and read back),
//     registry metrics, container by name;
//   - `echo_error`: an error result, and `echo_panic`: a recovered panic.
package main

import (
	"errors"
	"fmt"
	"strings"

	"example.invalid/sandtrap/guest-sdk/go/sandtrap"
)

type echo struct {
	config sandtrap.Config
}

func (*echo) Describe() sandtrap.Description {
	return sandtrap.Describe("go-sdk-echo", "Go SDK ABI echo", "0.1.0").
		Description("Test detector of the Go SDK: echoes what crossed the canonical ABI.").
		Selector(sandtrap.Select("echo")).
		Selector(sandtrap.Select("echo_config")).
		Selector(sandtrap.Select("probe_stores")).
		Selector(sandtrap.Select("probe_more")).
		Selector(sandtrap.Select("echo_error")).
		Selector(sandtrap.Select("echo_panic")).
		Uses("process").
		Uses("container").
		Finding(sandtrap.Finding("echo", sandtrap.SeverityInfo).
			Description("What the detector received").
			Mitre("Testing", "T0000").
			Fields("event.name", "process.pid")).
		Build()
}

func (e *echo) Init(cfg sandtrap.Config) error {
	if v, _ := cfg.Get("refuse"); v == "yes" {
		return errors.New("refused by configuration")
	}
	e.config = cfg
	return nil
}

func (e *echo) OnEvent(ev *sandtrap.Event) ([]sandtrap.Detection, error) {
	switch ev.Name() {
	case "echo":
		return []sandtrap.Detection{echoEvent(ev)}, nil
	case "echo_config":
		d := sandtrap.NewDetection()
		for _, kv := range e.config.Entries() {
			d = d.Str("config."+kv[0], kv[1])
		}
		return []sandtrap.Detection{d.List("parsed.list", e.config.List("list"))}, nil
	case "probe_stores":
		return []sandtrap.Detection{probeStores(ev)}, nil
	case "probe_more":
		return []sandtrap.Detection{probeMore()}, nil
	case "echo_error":
		msg, _ := ev.ArgStr("message")
		return nil, errors.New(msg)
	case "echo_panic":
		var m map[string]int
		m["boom"]++ // a nil-map write: the SDK turns the panic into an error
	}
	return nil, nil
}

func (*echo) Close() {}

func echoEvent(ev *sandtrap.Event) sandtrap.Detection {
	p := ev.Process
	args := ev.Args()
	d := sandtrap.NewDetection().
		Uint("event.seq", ev.Seq()).
		Uint("event.timestamp", ev.Timestamp()).
		Str("event.name", ev.Name()).
		Uint("event.args", uint64(len(args))).
		Uint("process.entity_id_set", boolToUint(p.EntityID() != 0)).
		Uint("process.parent_entity_id_set", boolToUint(p.ParentEntityID() != 0)).
		Uint("process.pid", uint64(p.PID())).
		Uint("process.tid", uint64(p.TID())).
		Uint("process.ppid", uint64(p.PPID())).
		Uint("process.start_ticks", p.StartTicks()).
		Str("process.comm", p.Comm()).
		Str("process.exe", p.Exe()).
		Uint("process.uid", uint64(p.UID())).
		Uint("process.gid", uint64(p.GID())).
		Uint("process.cgroup_id", p.CgroupID()).
		Str("process.container_id", p.ContainerID())
	for _, f := range args {
		d = d.Field(f.Name, f.Value)
		// The kind as the SDK saw it, so a scenario can tell uint 5 from
		// int 5 (the host compares integers by value only).
		d = d.Str("kind."+f.Name, f.Value.Kind.String())
	}
	// The typed accessors on the same arguments.
	if v, ok := ev.ArgInt("int_min"); ok {
		d = d.Int("accessor.int_min", v)
	}
	if v, ok := ev.ArgUint("uint_max"); ok {
		d = d.Uint("accessor.uint_max", v)
	}
	if v, ok := ev.ArgList("argv"); ok {
		d = d.Str("accessor.argv_joined", strings.Join(v, " "))
	}
	if v, ok := ev.ArgBytes("payload"); ok {
		d = d.Str("accessor.payload_hex", fmt.Sprintf("%x", v))
	}
	return d
}

func boolToUint(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// errName renders a store error as the scenario expects it.
func errName(err error) string {
	var ia *sandtrap.InvalidArgumentError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, sandtrap.ErrNotFound):
		return "not-found"
	case errors.As(err, &ia):
		return "invalid-argument: " + ia.Message
	case errors.Is(err, sandtrap.ErrStoreUnhealthy):
		return "store-unhealthy"
	case errors.Is(err, sandtrap.ErrNotImplemented):
		return "not-implemented"
	}
	return "unexpected: " + err.Error()
}

func probeStores(ev *sandtrap.Event) sandtrap.Detection {
	d := sandtrap.NewDetection().Uint("now", sandtrap.Now())
	sandtrap.Logf(sandtrap.LevelInfo, "probing stores for event %d", ev.Seq())

	if p, err := sandtrap.GetProcess(ev.Process.EntityID()); err == nil {
		_, exited := p.ExitTime()
		d = d.Str("process.name", p.Name()).
			Str("process.exe", p.Exe()).
			List("process.argv", p.Argv()).
			Uint("process.pid", uint64(p.PID())).
			Uint("process.ppid", uint64(p.PPID())).
			Uint("process.uid", uint64(p.UID())).
			Uint("process.gid", uint64(p.GID())).
			Uint("process.start_time", p.StartTime()).
			Str("process.container_id", p.ContainerID()).
			Bool("process.exited", exited).
			Bool("process.entity_matches", p.EntityID() == ev.Process.EntityID()).
			Bool("process.parent_matches", p.ParentEntityID() == ev.Process.ParentEntityID())
	} else {
		d = d.Str("process.error", errName(err))
	}
	_, err := sandtrap.GetProcess(0xdead)
	d = d.Str("process.missing", errName(err))

	if chain, err := sandtrap.GetAncestry(ev.Process.EntityID(), 8); err == nil {
		names := make([]string, chain.Len())
		underSystemd := false
		for i, p := range chain.All() {
			names[i] = fmt.Sprintf("%s(%d)", p.Name(), p.PID())
			underSystemd = underSystemd || (i > 0 && p.Is("systemd"))
		}
		d = d.List("ancestry", names).Bool("ancestry.systemd", underSystemd)
	} else {
		d = d.Str("ancestry.error", errName(err))
	}
	if kids, err := sandtrap.GetChildProcesses(ev.Process.ParentEntityID()); err == nil {
		d = d.Uint("siblings", uint64(kids.Len()))
	}

	if id, ok := ev.ArgStr("container"); ok {
		if c, err := sandtrap.GetContainer(id); err == nil {
			d = d.Str("container.id", c.ID()).
				Str("container.name", c.Name()).
				Str("container.image", c.Image()).
				Str("container.image_digest", c.ImageDigest()).
				Str("container.runtime", c.Runtime()).
				Uint("container.start_time", c.StartTime())
			if pod, ok := c.Pod(); ok {
				d = d.Str("pod.name", pod.Name()).
					Str("pod.uid", pod.UID()).
					Str("pod.namespace", pod.Namespace()).
					Bool("pod.sandbox", pod.Sandbox())
			}
		} else {
			d = d.Str("container.error", errName(err))
		}
	}
	_, err = sandtrap.GetContainer("short")
	d = d.Str("container.short_id", errName(err))
	runtime := "docker"
	if list, err := sandtrap.ListContainers(&sandtrap.ContainerFilter{Runtime: &runtime}); err == nil {
		names := make([]string, list.Len())
		for i, c := range list.All() {
			names[i] = c.Name()
		}
		d = d.List("containers.docker", names)
	} else {
		d = d.Str("containers.error", errName(err))
	}
	if list, err := sandtrap.ListContainers(nil); err == nil {
		d = d.Uint("containers.all", uint64(list.Len()))
	}

	if q, ok := ev.ArgStr("dns"); ok {
		if r, err := sandtrap.GetDNSResponse(q); err == nil {
			d = d.Str("dns.query", r.Query()).List("dns.ips", r.IPs()).List("dns.domains", r.Domains())
		} else {
			d = d.Str("dns.error", errName(err))
		}
	}

	if s, err := sandtrap.GetSystemInfo(); err == nil {
		d = d.Str("system.architecture", s.Architecture).
			Str("system.kernel_release", s.KernelRelease).
			Str("system.hostname", s.Hostname).
			Uint("system.boot_time", s.BootTime).
			Uint("system.host_start_time", s.HostStartTime).
			Str("system.os_pretty_name", s.OSPrettyName).
			Uint("system.init_namespaces", uint64(len(s.InitNamespaces)))
	} else {
		d = d.Str("system.error", errName(err))
	}

	if name, err := sandtrap.GetSyscallName(59); err == nil {
		d = d.Str("syscall.59", name)
	} else {
		d = d.Str("syscall.error", errName(err))
	}
	if id, err := sandtrap.GetSyscallID("openat"); err == nil {
		d = d.Int("syscall.openat", int64(id))
	}

	d = d.Bool("registry.process", sandtrap.IsAvailable("process")).
		Bool("registry.nonexistent", sandtrap.IsAvailable("nonexistent")).
		List("registry.stores", sandtrap.ListStores())
	if md, err := sandtrap.GetMetadata("container"); err == nil {
		d = d.Str("registry.container.name", md.Name).Bool("registry.container.writable", md.Writable)
	}
	if h, err := sandtrap.GetHealth("process"); err == nil {
		d = d.Uint("registry.process.health", uint64(h.Status))
	}
	return d
}

func probeMore() sandtrap.Detection {
	d := sandtrap.NewDetection()

	if syms, err := sandtrap.ResolveSymbolByAddress(0xffffffff81000010); err == nil {
		var names []string
		for _, s := range syms.All() {
			names = append(names, fmt.Sprintf("%s@%x[%s]<-%x", s.Name(), s.Address(), s.Module(), s.Query()))
		}
		d = d.List("symbol.at", names)
	} else {
		d = d.Str("symbol.at.error", errName(err))
	}
	if addr, err := sandtrap.GetSymbolAddress("sys_call_table"); err == nil {
		d = d.Uint("symbol.sys_call_table", addr)
	} else {
		d = d.Str("symbol.sys_call_table.error", errName(err))
	}
	if batch, err := sandtrap.ResolveSymbolsBatch([]uint64{0xffffffffc0a00020, 1, 0xffffffff81000010}); err == nil {
		var names []string
		for _, s := range batch.All() {
			names = append(names, fmt.Sprintf("%x=%s[%s]", s.Query(), s.Name(), s.Module()))
		}
		d = d.List("symbol.batch", names)
	} else {
		d = d.Str("symbol.batch.error", errName(err))
	}

	if r, err := sandtrap.OpenReputation("feed"); err == nil {
		if rep, err := r.Get("198.51.100.7"); err == nil {
			d = d.Str("feed.ip", rep.IP()).
				Str("feed.source", rep.Source()).
				Uint("feed.status", uint64(rep.Status())).
				Str("feed.status_name", rep.Status().String()).
				Uint("feed.severity", uint64(rep.Severity())).
				List("feed.tags", rep.Tags()).
				Uint("feed.last_updated", rep.LastUpdated())
		} else {
			d = d.Str("feed.error", errName(err))
		}
		if all, err := r.GetAll("198.51.100.7"); err == nil {
			var srcs []string
			for _, s := range all.All() {
				srcs = append(srcs, fmt.Sprintf("%s:%s:%d", s.Source(), s.IP(), s.Severity()))
			}
			d = d.List("feed.all", srcs)
		}
		if bl, err := r.IsBlacklisted("198.51.100.7"); err == nil {
			d = d.Bool("feed.blacklisted", bl)
		}
		d = d.List("feed.sources", r.ListSources())
		r.Close()
	} else {
		d = d.Str("feed.open.error", errName(err))
	}
	_, err := sandtrap.OpenReputation("absent")
	d = d.Str("absent.open", errName(err))

	if w, err := sandtrap.RegisterReputation("echo-own", sandtrap.PolicyMaxSeverity, nil); err == nil {
		werr := w.Write("probe", sandtrap.Reputation{IP: "203.0.113.9", Status: sandtrap.ReputationSuspicious, Severity: 4, Tags: []string{"scan", "tor"}, LastUpdated: 17})
		d = d.Str("own.write", errName(werr))
		n, err := w.WriteBatch("batch", []sandtrap.Reputation{
			{IP: "203.0.113.9", Status: sandtrap.ReputationBlacklisted, Severity: 8},
			{IP: "192.0.2.0/24", Status: sandtrap.ReputationClean, Severity: 1},
		})
		d = d.Uint("own.batch", uint64(n)).Str("own.batch.error", errName(err))
		reader := w.Reader()
		if rep, err := reader.Get("203.0.113.9"); err == nil {
			d = d.Uint("own.status", uint64(rep.Status())).
				Uint("own.severity", uint64(rep.Severity())).
				Str("own.source", rep.Source())
		}
		if all, err := reader.GetAll("203.0.113.9"); err == nil {
			var srcs []string
			for _, s := range all.All() {
				srcs = append(srcs, s.Source()+":"+strings.Join(s.Tags(), "+"))
			}
			d = d.List("own.all", srcs)
		}
		if rep, err := reader.Get("192.0.2.77"); err == nil {
			d = d.Str("own.prefix", rep.IP())
		}
		deleted, _ := w.Delete("batch", "203.0.113.9")
		cleared, _ := w.Clear("probe")
		d = d.Bool("own.deleted", deleted).Uint("own.cleared", uint64(cleared)).List("own.sources", w.ListSources())
		reader.Close()
		w.Close()
	} else {
		d = d.Str("own.error", errName(err))
	}

	if m, err := sandtrap.GetMetrics("process"); err == nil {
		d = d.Bool("metrics.process.counted", m.SuccessCount > 0)
	} else {
		d = d.Str("metrics.error", errName(err))
	}
	if md, err := sandtrap.GetMetadata("echo-own"); err == nil {
		owner := ""
		if md.Owner != nil {
			owner = *md.Owner
		}
		d = d.Bool("own.writable", md.Writable).Str("own.owner", owner)
	}
	if c, err := sandtrap.GetContainerByName("web"); err == nil {
		d = d.Str("byname.image", c.Image())
	} else {
		d = d.Str("byname.error", errName(err))
	}
	return d
}

func init() { sandtrap.Register(&echo{}) }

func main() {}
