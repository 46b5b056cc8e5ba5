#pragma once
// A program the bench runs as its own OS process (an etcd member, a mosaik member): killed
// with SIGKILL when the bench dies (PR_SET_PDEATHSIG) or when this handle goes, so a failed
// run leaves nothing behind. Optionally its stdin and stdout are pipes, read line by line
// with a deadline.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace bench {

class ChildProcess {
 public:
  struct Options {
    bool pipes = false;       // stdin/stdout connected to this process; else stdin is /dev/null
    std::string output_file;  // without pipes: stdout and stderr go here (empty: /dev/null)
  };
  ChildProcess(const std::string& path, const std::vector<std::string>& args, Options options);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // SIGKILLs it if still running, and reaps it

  // The next line the child writes, or nullopt when `within` passes or its stdout closes.
  std::optional<std::string> read_line(std::chrono::milliseconds within);
  // The next line that starts with `prefix` (others are skipped), within `within`.
  std::optional<std::string> read_line_starting(const std::string& prefix, std::chrono::milliseconds within);
  void write_line(const std::string& line);
  void kill(int signal_number);
  // Reaps the child if it has exited; true when it has.
  bool exited();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffered_;
};

}  // namespace bench
