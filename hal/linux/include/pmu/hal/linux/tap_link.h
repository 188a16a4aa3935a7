// The simulator's Ethernet link: a Linux TAP device (/dev/net/tun, IFF_TAP|IFF_NO_PI).
// The device's frames are written to the TAP file descriptor and appear on the host's
// side of the interface; frames the host sends to the interface are read back here.
#pragma once

#include <cstddef>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "pmu/hal/linux/host_devices.h"
#include "pmu/hal/link.h"

namespace pmu::hal::linux_host {

class TapLink final : public Link {
 public:
  TapLink() = default;
  ~TapLink() override;
  TapLink(const TapLink&) = delete;
  TapLink& operator=(const TapLink&) = delete;

  // Attaches to the TAP interface `ifname` (created by the launcher, or created here
  // when it does not exist and the process may do so). Non-blocking.
  Status Open(std::string_view ifname, const MacAddress& mac);

  // Starts a reader thread that waits on the TAP descriptor and stamps each frame with
  // `clock` (the device's oscillator, the stamps' scale) as soon as it has read it, as
  // a MAC's receive interrupt would, queueing up to kQueueFrames for Receive. When the
  // queue is full the reader waits for room and frames wait in the TAP's own queue, as
  // they did before (a flood loses nothing more than it did; those frames are stamped
  // late). Without it, Receive reads the descriptor itself and the glue stamps each
  // frame when the main loop gets to it.
  //
  // PTP event frames (UDP/IPv4 to port 319, or EtherType 0x88F7 untagged) get better
  // stamps when the process may open a packet socket on the interface (CAP_NET_RAW):
  // the host's kernel stamps its copy of each, received where the host sends the frame
  // into the TAP and sent where the TAP hands the device's frame to the host's stack,
  // the same places and clock as the host's own software time stamps (ptp4l's), and
  // the link takes those instead of the thread's. Other frames need no such stamp.
  Status StartReader(const SimulatedClock& clock);
  static constexpr std::size_t kQueueFrames = 64;
  // Whether PTP event frames carry the kernel's stamps (the packet socket opened).
  bool kernel_stamps() const { return stamp_fd_ >= 0; }

  // For the simulator's main loop to wait on (readable when a frame is pending): the
  // TAP descriptor, or with the reader thread an eventfd it signals.
  int fd() const { return reader_.joinable() ? event_fd_ : fd_; }

  MacAddress mac() const override { return mac_; }
  bool IsUp() override;
  Status Send(ByteSpan frame) override;
  Result<std::size_t> Receive(MutableByteSpan buffer) override;
  std::uint64_t ReceivedAtNs() const override { return received_at_ns_; }
  // With the reader thread (and its clock): stamped just before the write, which hands
  // the frame to the host's stack within the call (a receiver on the host stamps it
  // there), not after the call returns.
  std::uint64_t SentAtNs() const override { return sent_at_ns_; }
  // Without the reader thread the main loop reads the TAP descriptor when poll(2)
  // wakes it or after its current pass: on a shared 2-core host the device's true error
  // after lock reached 188 us (docs/BENCHMARKS.md, "Time error after lock"), almost all
  // of it this lateness; 500 us leaves room for a busier host and keeps the bound under
  // 1 ms. The reader thread's stamps are late only by its own wake-up, but a busy host
  // can deschedule it too: the same allowance. The kernel's stamps are the host's own
  // software stamps: a host in softirq or preempted between the two places can still
  // put tens of microseconds between them, and a frame whose kernel copy is not found
  // keeps the thread's stamp, so the allowance stays that of the thread.
  std::uint32_t TimestampUncertaintyNs() const override { return 500'000; }

 private:
  struct Slot {
    std::uint64_t stamp_ns = 0;
    std::size_t size = 0;
    bool oversized = false;
    std::byte data[kMaxFrameSize];
  };
  // A kernel stamp waiting for its frame: the start of the frame (a PTP event frame
  // fits whole) and the host's CLOCK_MONOTONIC when the kernel stamped it.
  struct KernelStamp {
    bool used = false;
    bool outgoing = false;  // the host sent it (to the device), else the device did
    std::uint64_t host_ns = 0;
    std::size_t size = 0;
    std::byte data[128];
  };
  static constexpr std::size_t kStamps = 16;
  void ReadLoop();
  Result<std::size_t> ReadDescriptor(MutableByteSpan buffer);
  void OpenStampSocket();
  // The kernel's stamp of `frame` (sent by the host when `outgoing`) on the device's
  // oscillator, or 0 when the kernel's copy is not there. Takes the stamp socket's lock.
  std::uint64_t KernelStampOf(ByteSpan frame, bool outgoing);
  void DrainStampSocket();

  int fd_ = -1;
  int event_fd_ = -1;  // the reader's "frames queued" signal to the main loop
  int stop_fd_ = -1;   // the main thread's "stop" to the reader
  const SimulatedClock* clock_ = nullptr;
  std::thread reader_;
  std::mutex mutex_;  // guards the queue and stopping_
  std::condition_variable room_;  // the main loop took a frame, or the reader must stop
  bool stopping_ = false;
  std::unique_ptr<Slot[]> queue_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::uint64_t received_at_ns_ = 0;
  std::uint64_t sent_at_ns_ = 0;
  int stamp_fd_ = -1;      // packet socket on the interface, PTP event frames only
  std::mutex stamp_mutex_;  // guards stamp_fd_'s reads and stamps_ (reader and Send)
  KernelStamp stamps_[kStamps];
  std::size_t next_stamp_ = 0;
  int ctl_fd_ = -1;  // socket for interface-flag queries
  char ifname_[16] = {};
  MacAddress mac_;
};

}  // namespace pmu::hal::linux_host
