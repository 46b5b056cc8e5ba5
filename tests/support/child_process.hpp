#pragma once
// ChildProcess: a program run as a real OS process for tests where a process must receive a
// signal or exit: its stdout and stderr come back as lines (merged, in order of arrival),
// each wait is bounded, and a child still running when the test ends is killed.
//
//   auto p = test::ChildProcess::spawn(executor, "/path/to/quickstart", {"--role", "producer"});
//   auto line = co_await p.until_line("run the consumer with", 10);
//   p.signal(SIGTERM);  int code = co_await p.exit_code(5);

#include <sys/types.h>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/streambuf.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <vector>

namespace mosaik::test {

class ChildProcess {
 public:
  static ChildProcess spawn(asio::any_io_executor executor, const std::string& path,
                            const std::vector<std::string>& args,
                            const std::vector<std::pair<std::string, std::string>>& env = {});
  ChildProcess(ChildProcess&&) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();  // SIGKILLs a child still running, and reaps it

  // The first line from now on that contains `text`, within `seconds` (scaled by
  // TIME_FACTOR); a timeout or the end of output fails the test at the caller's line.
  asio::awaitable<std::string> until_line(
      std::string text, double seconds,
      std::source_location where = std::source_location::current());
  // Like until_line for several texts that may come in any order: completes once each has
  // appeared in a line from now on.
  asio::awaitable<void> until_all(std::vector<std::string> texts, double seconds,
                                  std::source_location where = std::source_location::current());
  void signal(int signal_number) const;
  // Reads the rest of the output, then reaps the child: its exit status, or -N when it died
  // by signal N. Fails the test when it does not exit within `seconds`.
  asio::awaitable<int> exit_code(double seconds,
                                 std::source_location where = std::source_location::current());
  // Everything the child printed so far (for failure messages).
  std::string output() const;
  pid_t pid() const { return pid_; }

 private:
  ChildProcess(pid_t pid, asio::posix::stream_descriptor out);
  asio::awaitable<std::optional<std::string>> next_line();

  pid_t pid_ = -1;
  bool reaped_ = false;
  std::unique_ptr<asio::posix::stream_descriptor> out_;
  std::unique_ptr<asio::streambuf> buffer_;
  std::vector<std::string> lines_;
};

}  // namespace mosaik::test
