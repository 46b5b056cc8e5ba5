// A program run as a child process for tests where a process dies (SIGKILL, SIGTERM) or
// whose memory must be its own: stdin and stdout are pipes; the first line it prints is
// read at start (a node prints its address); closing stdin asks it to exit.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace mosaik::test {

class ChildProcess {
 public:
  ChildProcess(const std::string& path, const std::vector<std::string>& args,
               std::chrono::milliseconds first_line_within = std::chrono::seconds(20)) {
    int in[2];
    int out[2];
    if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe failed");
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      close(in[1]);
      close(out[0]);
      execv(path.c_str(), argv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    first_line_ = read_line(first_line_within);
  }
  ~ChildProcess() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0) close(stdout_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  const std::string& first_line() const { return first_line_; }
  bool alive() const { return !exited_ && waitpid(pid_, nullptr, WNOHANG) == 0; }

  std::uint64_t rss_bytes() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
    }
    return 0;
  }

  // Sends `sig` (SIGKILL: the process dies at once, saying goodbye to nobody).
  void signal(int sig) const { ::kill(pid_, sig); }

  // Closes stdin and waits for the exit status; see wait_exit.
  int stop(std::chrono::milliseconds within = std::chrono::seconds(20)) {
    close(stdin_);
    stdin_ = -1;
    return wait_exit(within);
  }

  // The exit code, 128 + the signal that ended it, or -1 when it is still running.
  int wait_exit(std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    int status = 0;
    do {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      pollfd none{};
      poll(&none, 0, 20);  // waiting for the child; nothing to wake us earlier
    } while (std::chrono::steady_clock::now() < deadline);
    return -1;
  }

 private:
  std::string read_line(std::chrono::milliseconds limit) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c = 0;
      if (read(stdout_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line.push_back(c);
    }
    throw std::runtime_error("the child process printed no first line");
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  bool exited_ = false;
  std::string first_line_;
};

}  // namespace mosaik::test
