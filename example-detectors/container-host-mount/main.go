// Host block device mounted inside a container: the classic escape from
// a privileged container (MITRE T1611, Escape to Host). A privileged
// container sees every device node of the host, so
// `mount /dev/sda1 /mnt` gives it the host's root filesystem: write a
// cron job, an SSH key or a systemd unit there and it runs on the host.
//
// Reported: a `mount` by a process in a container whose source is a disk
// of the host (SCSI/SATA/virtio/Xen/IDE/NVMe/MMC disks, device-mapper and
// LVM volumes, md RAID, /dev/disk/by-* links). Loop devices are not host
// disks (they back image files the container itself brought), nor are
// pseudo filesystems (proc, tmpfs, overlay …). A bind mount of a device
// node (MS_BIND) or a move/remount does not attach the device's
// filesystem and is skipped. A disk filesystem mounted from a source
// outside /dev is reported too: that is a device node made with mknod,
// or a symlink to one, which is how the path check above gets evaded.
//
// Severity is critical, high when the mount is read-only (the host's
// secrets are still exposed, but nothing can be planted). Images that
// legitimately mount disks (CSI node plugins) are listed in
// `allow_images`.
package main

import (
	"errors"
	"path"
	"strconv"
	"strings"

	"example.invalid/sandtrap/guest-sdk/go/sandtrap"
)

// hostDiskPrefixes are device paths that name a disk of the host.
var hostDiskPrefixes = []string{
	"/dev/sd",       // SCSI, SATA, USB, iSCSI
	"/dev/vd",       // virtio-blk
	"/dev/xvd",      // Xen (EC2)
	"/dev/hd",       // IDE
	"/dev/nvme",     // NVMe
	"/dev/mmcblk",   // SD/eMMC (ARM boards)
	"/dev/mapper/",  // device-mapper: LVM, LUKS
	"/dev/dm-",      // device-mapper nodes
	"/dev/md",       // software RAID
	"/dev/disk/by-", // udev links to all of the above
	"/dev/root",     // the root device's alias on some distributions
}

// diskFilesystems can only be mounted from a block device; seen with a
// source outside /dev they mean a hand-made device node.
var diskFilesystems = []string{
	"ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "exfat",
	"ntfs", "ntfs3", "f2fs", "jfs", "reiserfs",
}

// Mount flags (linux/mount.h).
const (
	msRdonly  = 0x1
	msRemount = 0x20
	msBind    = 0x1000
	msMove    = 0x2000
)

type hostMount struct {
	allowImages  []string
	extraDevices []string
}

func (*hostMount) Describe() sandtrap.Description {
	d := sandtrap.Describe("container-host-mount", "Host disk mounted in a container", "0.1.0").
		Description("A process in a container mounted a block device of the host.").
		// The host drops every mount outside a container and every source
		// outside /dev before the sandbox is entered.
		Selector(sandtrap.Select("mount").
			Filter("source", sandtrap.OpPrefix, "/dev/").
			Filter("container.id", sandtrap.OpNotEqual, "")).
		Uses("container").
		Finding(sandtrap.Finding("container_host_disk_mount", sandtrap.SeverityCritical).
			Description("A container mounted a disk of the host, exposing the host's filesystem to it").
			Mitre("Privilege Escalation", "T1611").
			Fields("source", "target", "fstype", "flags", "read_only", "device_outside_dev",
				"container_id", "container_name", "container_image", "container_runtime", "pod"))
	for _, fs := range diskFilesystems {
		d = d.Selector(sandtrap.Select("mount").
			Filter("fstype", sandtrap.OpEqual, fs).
			Filter("container.id", sandtrap.OpNotEqual, ""))
	}
	return d.Build()
}

func (m *hostMount) Init(cfg sandtrap.Config) error {
	m.allowImages = cfg.List("allow_images")
	m.extraDevices = cfg.List("extra_devices")
	for _, p := range m.extraDevices {
		if !strings.HasPrefix(p, "/") {
			return errors.New(`config "extra_devices": ` + strconv.Quote(p) + " is not an absolute device path prefix")
		}
	}
	return nil
}

func (m *hostMount) isHostDisk(source string) bool {
	return hasAnyPrefix(source, hostDiskPrefixes) || hasAnyPrefix(source, m.extraDevices)
}

func (m *hostMount) OnEvent(ev *sandtrap.Event) ([]sandtrap.Detection, error) {
	if ev.Name() != "mount" || !ev.InContainer() {
		return nil, nil
	}
	// Fields are decoded when read: the flags (a number, no copy) decide
	// most skips, the target is only read for a report.
	flags, _ := ev.ArgUint("flags")
	if flags&(msBind|msMove|msRemount) != 0 {
		return nil, nil
	}
	source, _ := ev.ArgStr("source")
	fstype, _ := ev.ArgStr("fstype")

	// The kernel resolves the path: `/dev//sda1` and `/tmp/../dev/sda1`
	// are the same disk, `/dev/../tmp/sda1` is not under /dev.
	clean := path.Clean(source)
	outsideDev := false
	switch {
	case !strings.HasPrefix(source, "/"):
		return nil, nil
	case m.isHostDisk(clean):
	case !strings.HasPrefix(clean, "/dev/") && isDiskFilesystem(fstype):
		outsideDev = true
	default:
		return nil, nil
	}

	id := ev.Process.ContainerID()
	var name, image, runtime, pod string
	switch c, err := sandtrap.GetContainer(id); {
	case err == nil:
		name, image, runtime = c.Name(), c.Image(), c.Runtime()
		if p, ok := c.Pod(); ok {
			pod = p.Namespace() + "/" + p.Name()
		}
		if image != "" && hasAnyPrefix(image, m.allowImages) {
			return nil, nil
		}
	case errors.Is(err, sandtrap.ErrNotFound):
		// A container the store has not seen yet: the id is still worth a
		// report, and an unknown image cannot be on the allow list.
	default:
		sandtrap.Log(sandtrap.LevelWarn, "container store: "+err.Error()+"; reporting container "+id+" without metadata")
	}

	severity := sandtrap.SeverityCritical
	if flags&msRdonly != 0 {
		severity = sandtrap.SeverityHigh
	}
	target, _ := ev.ArgStr("target")
	return []sandtrap.Detection{sandtrap.NewDetection().
		Str("source", source).
		Str("target", target).
		Str("fstype", fstype).
		Uint("flags", flags).
		Bool("read_only", flags&msRdonly != 0).
		Bool("device_outside_dev", outsideDev).
		Str("container_id", id).
		Str("container_name", name).
		Str("container_image", image).
		Str("container_runtime", runtime).
		Str("pod", pod).
		WithSeverity(severity)}, nil
}

func (*hostMount) Close() {}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func isDiskFilesystem(fstype string) bool {
	for _, fs := range diskFilesystems {
		if fstype == fs {
			return true
		}
	}
	return false
}

func init() { sandtrap.Register(&hostMount{}) }

// main is never run: the module is a reactor whose exports are called by
// the host after `_initialize` has run the init functions.
func main() {}
