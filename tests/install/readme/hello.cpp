// hello.cpp: two nodes on one network; one streams a typed greeting to the other.
#include <fmt/format.h>
#include <mosaik/mosaik.hpp>

struct Greeting {
  std::string text;
  MSGPACK_DEFINE(text);
  static constexpr std::string_view stream_name = "hello/greeting";
};

asio::awaitable<int> run() {
  auto a = co_await mosaik::Network::create("hello-network");
  auto b = co_await mosaik::Network::create("hello-network");
  auto producer = a.streams().produce<Greeting>();
  auto consumer = b.streams().consume<Greeting>();
  co_await b.discovery().sync_with(a.local().addr());  // or a bootstrap peer, mDNS, the DHT
  Greeting hello{"hello from " + a.local().id().to_string()};  // g++ 12: no temporaries
  co_await producer.send(hello);                               // inside a co_await
  auto greeting = co_await consumer.recv();  // nullopt once the stream is closed
  fmt::print("{}\n", greeting ? greeting->text : "no greeting");
  co_await b.shutdown();
  co_await a.shutdown();
  co_return greeting ? 0 : 1;
}

int main() { return mosaik::block_on(run()); }
