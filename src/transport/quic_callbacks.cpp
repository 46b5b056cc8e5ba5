// ngtcp2's callbacks for QuicConnection. Crypto callbacks come from ngtcp2's GnuTLS glue;
// the others record events on the connection. (A peer's STOP_SENDING has no callback in
// ngtcp2 0.12: ngtcp2 resets our side itself, and the write loop sees STREAM_SHUT_WR.)
#include <ngtcp2/ngtcp2_crypto.h>
#include <sodium.h>

#include "quic_connection.hpp"

namespace mosaik::transport::detail {

struct Ngtcp2Callbacks {
  static QuicConnection& self(void* user_data) { return *static_cast<QuicConnection*>(user_data); }

  static int recv_stream_data(ngtcp2_conn*, std::uint32_t flags, std::int64_t stream_id,
                              std::uint64_t, const std::uint8_t* data, std::size_t datalen,
                              void* user_data, void*) {
    auto& c = self(user_data);
    if (!ngtcp2_is_bidi_stream(stream_id)) {
      // Only the peer's network proof comes on a unidirectional stream.
      c.on_proof_stream_data({data, datalen}, (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0);
      return 0;
    }
    auto it = c.streams_.find(stream_id);
    if (it == c.streams_.end()) return 0;  // a stream we already abandoned
    auto& s = *it->second;
    if (datalen > 0 && !s.recv_error) s.recv_chunks.emplace_back(data, data + datalen);
    // Counted even when dropped (a closed link): the credit goes back at once then.
    if (datalen > 0) {
      if (s.recv_error) s.recv_abandoned = true;
      c.on_stream_data(s, datalen);
    }
    if ((flags & NGTCP2_STREAM_DATA_FLAG_FIN) && !s.recv_error) {
      // Delivered after the bytes before it: the peer dropped its link without a reason.
      s.recv_error = LinkError{LinkError::Kind::kClosed, close_reason::UnexpectedClose, true,
                               "the peer ended the link without a close reason"};
    }
    s.readable.notify();
    return 0;
  }

  static int acked_stream_data_offset(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t offset,
                                      std::uint64_t datalen, void* user_data, void*) {
    auto& c = self(user_data);
    auto it = c.streams_.find(stream_id);
    if (it != c.streams_.end()) c.on_acked(*it->second, offset + datalen);
    return 0;
  }

  static int stream_open(ngtcp2_conn* conn, std::int64_t stream_id, void* user_data) {
    auto& c = self(user_data);
    if (!ngtcp2_is_bidi_stream(stream_id) || ngtcp2_conn_is_local_stream(conn, stream_id)) {
      return 0;
    }
    if (c.state_ == QuicConnection::State::kHandshaking) c.on_link_before_admission();
    auto stream = std::make_shared<StreamState>(stream_id, c.executor_);
    c.streams_.emplace(stream_id, stream);
    // Bounded by initial_max_streams_bidi: the peer cannot open more than we allow.
    c.incoming_streams_.push_back(std::move(stream));
    c.streams_changed_.notify();
    return 0;
  }

  static int stream_close(ngtcp2_conn* conn, std::uint32_t flags, std::int64_t stream_id,
                          std::uint64_t app_error_code, void* user_data, void*) {
    auto& c = self(user_data);
    auto it = c.streams_.find(stream_id);
    if (it != c.streams_.end()) {
      const bool has_code = flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET;
      const CloseReason reason =
          has_code ? close_reason_from_code(app_error_code) : close_reason::UnexpectedClose;
      it->second->fail(LinkError{LinkError::Kind::kClosed, reason, true,
                                 fmt::format("the link closed with {}", reason)});
    }
    c.forget_stream(stream_id);
    if (ngtcp2_is_bidi_stream(stream_id) && !ngtcp2_conn_is_local_stream(conn, stream_id)) {
      ngtcp2_conn_extend_max_streams_bidi(conn, 1);  // give the peer its stream credit back
    }
    return 0;
  }

  // RESET_STREAM: the peer abandoned its sending side; what arrived is still readable.
  static int stream_reset(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t,
                          std::uint64_t app_error_code, void* user_data, void*) {
    auto& c = self(user_data);
    if (!ngtcp2_is_bidi_stream(stream_id) && !ngtcp2_conn_is_local_stream(c.conn_.get(), stream_id)) {
      c.on_proof_stream_reset();
      return 0;
    }
    auto it = c.streams_.find(stream_id);
    if (it == c.streams_.end()) return 0;
    auto& s = *it->second;
    if (!s.recv_error) {
      const CloseReason reason = close_reason_from_code(app_error_code);
      s.recv_error = LinkError{LinkError::Kind::kClosed, reason, true,
                               fmt::format("the peer closed the link with {}", reason)};
    }
    s.readable.notify();
    return 0;
  }

  static int extend_max_local_streams_bidi(ngtcp2_conn*, std::uint64_t, void* user_data) {
    self(user_data).streams_changed_.notify();
    return 0;
  }

  static int extend_max_stream_data(ngtcp2_conn*, std::int64_t stream_id, std::uint64_t,
                                    void* user_data, void*) {
    auto& c = self(user_data);
    auto it = c.streams_.find(stream_id);
    if (it == c.streams_.end()) return 0;
    auto& s = *it->second;
    s.flow_blocked = false;
    if (s.has_unsent() && !s.in_ready_list) {
      s.in_ready_list = true;
      c.ready_streams_.push_back(stream_id);
    }
    c.schedule_flush();
    return 0;
  }

  static void rand(std::uint8_t* dest, std::size_t destlen, const ngtcp2_rand_ctx*) {
    randombytes_buf(dest, destlen);
  }

  static int get_new_connection_id(ngtcp2_conn*, ngtcp2_cid* cid, std::uint8_t* token,
                                   std::size_t cidlen, void* user_data) {
    auto& c = self(user_data);
    cid->datalen = cidlen;
    randombytes_buf(cid->data, cidlen);
    randombytes_buf(token, NGTCP2_STATELESS_RESET_TOKENLEN);
    if (c.host_ != nullptr) c.host_->register_cid(*cid, c);
    return 0;
  }

  static int remove_connection_id(ngtcp2_conn*, const ngtcp2_cid* cid, void* user_data) {
    auto& c = self(user_data);
    if (c.host_ != nullptr) c.host_->unregister_cid(*cid);
    return 0;
  }
};

const ngtcp2_callbacks& QuicConnection::callbacks() {
  static const ngtcp2_callbacks table = [] {
    ngtcp2_callbacks cb{};
    cb.client_initial = ngtcp2_crypto_client_initial_cb;
    cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
    cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
    cb.encrypt = ngtcp2_crypto_encrypt_cb;
    cb.decrypt = ngtcp2_crypto_decrypt_cb;
    cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
    cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
    cb.update_key = ngtcp2_crypto_update_key_cb;
    cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
    cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
    cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
    cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
    cb.recv_stream_data = Ngtcp2Callbacks::recv_stream_data;
    cb.acked_stream_data_offset = Ngtcp2Callbacks::acked_stream_data_offset;
    cb.stream_open = Ngtcp2Callbacks::stream_open;
    cb.stream_close = Ngtcp2Callbacks::stream_close;
    cb.stream_reset = Ngtcp2Callbacks::stream_reset;
    cb.extend_max_local_streams_bidi = Ngtcp2Callbacks::extend_max_local_streams_bidi;
    cb.extend_max_stream_data = Ngtcp2Callbacks::extend_max_stream_data;
    cb.rand = Ngtcp2Callbacks::rand;
    cb.get_new_connection_id = Ngtcp2Callbacks::get_new_connection_id;
    cb.remove_connection_id = Ngtcp2Callbacks::remove_connection_id;
    return cb;
  }();
  return table;
}

}  // namespace mosaik::transport::detail
