#include "support/child_process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <asio/read_until.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdlib>
#include <istream>
#include <stdexcept>

#include "support/time.hpp"

namespace mosaik::test {

ChildProcess ChildProcess::spawn(asio::any_io_executor executor, const std::string& path,
                                 const std::vector<std::string>& args,
                                 const std::vector<std::pair<std::string, std::string>>& env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  std::vector<std::string> argv_storage{path};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The environment is ours with `env` on top, built before fork (the child may only make
  // async-signal-safe calls until exec).
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    bool replaced = false;
    for (const auto& [name, value] : env) replaced = replaced || entry.starts_with(name + "=");
    if (!replaced) env_storage.push_back(entry);
  }
  for (const auto& [name, value] : env) env_storage.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {  // the child: only async-signal-safe calls until exec
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execve(path.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  return ChildProcess(pid, asio::posix::stream_descriptor(executor, fds[0]));
}

ChildProcess::ChildProcess(pid_t pid, asio::posix::stream_descriptor out)
    : pid_(pid),
      out_(std::make_unique<asio::posix::stream_descriptor>(std::move(out))),
      buffer_(std::make_unique<asio::streambuf>()) {}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      reaped_(other.reaped_),
      out_(std::move(other.out_)),
      buffer_(std::move(other.buffer_)),
      lines_(std::move(other.lines_)) {}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0 || reaped_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  (void)waitpid(pid_, &status, 0);
}

void ChildProcess::signal(int signal_number) const {
  ::kill(pid_, signal_number);
}

asio::awaitable<std::optional<std::string>> ChildProcess::next_line() {
  std::error_code ec;
  const auto n = co_await asio::async_read_until(*out_, *buffer_, '\n',
                                                 asio::redirect_error(asio::use_awaitable, ec));
  if (ec && n == 0) {
    if (buffer_->size() == 0) co_return std::nullopt;  // end of output
    std::string rest(asio::buffers_begin(buffer_->data()), asio::buffers_end(buffer_->data()));
    buffer_->consume(buffer_->size());
    lines_.push_back(rest);
    co_return rest;
  }
  std::istream in(buffer_.get());
  std::string line;
  std::getline(in, line);
  lines_.push_back(line);
  co_return line;
}

asio::awaitable<std::string> ChildProcess::until_line(std::string text, double seconds,
                                                      std::source_location where) {
  auto find = [](ChildProcess& self,
                 std::string wanted) -> asio::awaitable<std::optional<std::string>> {
    for (;;) {  // bounded by the timeout around it, and by the end of output
      auto line = co_await self.next_line();
      if (!line || line->find(wanted) != std::string::npos) co_return line;
    }
  };
  std::optional<std::string> line;
  try {
    line = co_await timeout_s(seconds, find(*this, text), where);
  } catch (const TestTimeout& e) {
    throw TestTimeout(
        fmt::format("{} waiting for '{}'; the child printed:\n{}", e.what(), text, output()));
  }
  if (!line) {
    throw std::runtime_error(
        fmt::format("{}:{}: the child ended without printing '{}'; it printed:\n{}",
                    where.file_name(), where.line(), text, output()));
  }
  co_return *line;
}

asio::awaitable<void> ChildProcess::until_all(std::vector<std::string> texts, double seconds,
                                              std::source_location where) {
  auto find = [](ChildProcess& self, std::vector<std::string> missing) -> asio::awaitable<bool> {
    while (!missing.empty()) {  // bounded by the timeout around it, and by the end of output
      auto line = co_await self.next_line();
      if (!line) co_return false;
      std::erase_if(missing,
                    [&line](const std::string& t) { return line->find(t) != std::string::npos; });
    }
    co_return true;
  };
  bool all = false;
  try {
    all = co_await timeout_s(seconds, find(*this, texts), where);
  } catch (const TestTimeout& e) {
    throw TestTimeout(fmt::format("{} waiting for '{}'; the child printed:\n{}", e.what(),
                                  fmt::join(texts, "', '"), output()));
  }
  if (!all) {
    throw std::runtime_error(
        fmt::format("{}:{}: the child ended before printing '{}'; it printed:\n{}",
                    where.file_name(), where.line(), fmt::join(texts, "', '"), output()));
  }
}

asio::awaitable<int> ChildProcess::exit_code(double seconds, std::source_location where) {
  auto drain = [](ChildProcess& self) -> asio::awaitable<void> {
    while (co_await self.next_line()) {
    }
  };
  co_await timeout_s(seconds, drain(*this), where);
  // The output closed: the child is exiting (or closed its stdout, which ours never do).
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) throw std::runtime_error("waitpid failed");
  reaped_ = true;
  if (WIFSIGNALED(status)) co_return -WTERMSIG(status);
  co_return WEXITSTATUS(status);
}

std::string ChildProcess::output() const {
  std::string all;
  for (const auto& l : lines_) all += l + "\n";
  return all;
}

}  // namespace mosaik::test
