//! The WebSocket channel protocols of exec, attach and port-forward
//! (`k8s.io/streaming/pkg/httpstream/wsstream/conn.go`, the kubelet's
//! `cri-streaming/.../remotecommand/websocket.go` and the apiserver's
//! `apiserver/pkg/util/proxy/websocket.go`): subprotocol negotiation, the
//! one-byte channel prefix (binary) or ASCII digit plus base64 (text), and
//! the v5 close signal (`[255, channel]`).

/// How frames are written and what the error channel carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protocol {
    /// The negotiated `Sec-WebSocket-Protocol` (empty: none offered).
    pub name: &'static str,
    /// Text frames: `'0'+channel` then base64 (`base64.channel.k8s.io`).
    pub base64: bool,
    /// Exit status as a JSON Status (v4, v5) rather than plain text.
    pub json_status: bool,
    /// The client may half-close a stream with `[255, channel]` (v5).
    pub close_signal: bool,
}

/// The remote-command subprotocols, best first (the order a server prefers
/// them when a client offers several; `wsstream.handshake` takes the
/// client's order, which kubemock follows).
pub const EXEC_PROTOCOLS: &[Protocol] = &[
    p("v5.channel.k8s.io", false, true, true),
    p("v4.channel.k8s.io", false, true, false),
    p("v4.base64.channel.k8s.io", true, true, false),
    // v3 and v2 are the SPDY protocol names; over WebSocket they behave as
    // channel.k8s.io (resize on channel 4 is always open). UNVERIFIED: the
    // kubelet's WebSocket server does not list them; kubemock accepts them
    // so that clients offering them get a session.
    p("v3.channel.k8s.io", false, false, false),
    p("v2.channel.k8s.io", false, false, false),
    p("channel.k8s.io", false, false, false),
    p("base64.channel.k8s.io", true, false, false),
];

/// Port-forward subprotocols (`cri-streaming/.../portforward/websocket.go`).
pub const PORTFORWARD_PROTOCOLS: &[Protocol] = &[
    // kubectl >= 1.30: SPDY tunnelled in the WebSocket (`spdy.rs`).
    p(super::spdy::TUNNEL_PROTOCOL, false, false, false),
    p("v4.channel.k8s.io", false, false, false),
    p("v4.base64.channel.k8s.io", true, false, false),
    p("portforward.k8s.io", false, false, false),
    p("v2.portforward.k8s.io", false, false, false),
    p("channel.k8s.io", false, false, false),
    p("base64.channel.k8s.io", true, false, false),
];

const fn p(name: &'static str, base64: bool, json_status: bool, close_signal: bool) -> Protocol {
    Protocol {
        name,
        base64,
        json_status,
        close_signal,
    }
}

/// Plain SPDY/3.1 port-forward (not a WebSocket subprotocol: negotiated
/// through `X-Stream-Protocol-Version`).
pub const SPDY_PORTFORWARD: Protocol = p("portforward.k8s.io", false, false, false);

/// No subprotocol offered: binary, plain-text errors (the `""` entry).
pub const NONE: Protocol = p("", false, false, false);

/// The subprotocols a request offers, in its order.
pub fn offered(header_values: &[&str]) -> Vec<String> {
    header_values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `wsstream.handshake`: the first offered protocol the server serves;
/// `Some(NONE)` when none is offered; `None` when none matches.
pub fn negotiate(offered: &[String], table: &[Protocol]) -> Option<Protocol> {
    if offered.is_empty() {
        return Some(NONE);
    }
    offered
        .iter()
        .find_map(|o| table.iter().find(|p| p.name == o).copied())
}

/// One frame to send: the bytes of a WebSocket message and whether it is
/// text.
pub fn encode(proto: &Protocol, channel: u8, data: &[u8]) -> (bool, Vec<u8>) {
    use base64::Engine;
    if proto.base64 {
        let mut out = vec![b'0' + channel];
        out.extend_from_slice(
            base64::engine::general_purpose::STANDARD
                .encode(data)
                .as_bytes(),
        );
        (true, out)
    } else {
        let mut out = Vec::with_capacity(data.len() + 1);
        out.push(channel);
        out.extend_from_slice(data);
        (false, out)
    }
}

/// What a client message means.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// Data for a channel.
    Data(u8, Vec<u8>),
    /// v5: the client closed its side of a channel.
    Close(u8),
    /// An empty message (ignored by the server).
    Empty,
    /// A protocol error: the server ends the connection.
    Invalid(&'static str),
}

/// Decodes a client message (`Conn.handle`).
pub fn decode(proto: &Protocol, msg: &[u8]) -> Incoming {
    use base64::Engine;
    if msg.is_empty() {
        return Incoming::Empty;
    }
    if proto.close_signal && msg[0] == 255 {
        return if msg.len() == 2 {
            Incoming::Close(msg[1])
        } else {
            Incoming::Invalid("Single channel byte should follow stream close signal")
        };
    }
    if proto.base64 {
        let Some(channel) = msg[0].checked_sub(b'0') else {
            return Incoming::Invalid("invalid channel digit");
        };
        match base64::engine::general_purpose::STANDARD.decode(&msg[1..]) {
            Ok(d) => Incoming::Data(channel, d),
            Err(_) => Incoming::Invalid("invalid base64 frame"),
        }
    } else {
        Incoming::Data(msg[0], msg[1..].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_the_client_order() {
        let o = offered(&["v5.channel.k8s.io, v4.channel.k8s.io"]);
        assert_eq!(
            negotiate(&o, EXEC_PROTOCOLS).unwrap().name,
            "v5.channel.k8s.io"
        );
        let o = offered(&["v4.channel.k8s.io", "v5.channel.k8s.io"]);
        assert_eq!(
            negotiate(&o, EXEC_PROTOCOLS).unwrap().name,
            "v4.channel.k8s.io"
        );
        assert_eq!(negotiate(&[], EXEC_PROTOCOLS).unwrap(), NONE);
        assert!(negotiate(&offered(&["SPDY/3.1+portforward.k8s.io"]), EXEC_PROTOCOLS).is_none());
    }

    #[test]
    fn frames_round_trip() {
        let b64 = negotiate(&offered(&["base64.channel.k8s.io"]), EXEC_PROTOCOLS).unwrap();
        let (text, f) = encode(&b64, 1, b"hi");
        assert!(text);
        assert_eq!(f, b"1aGk=");
        assert_eq!(decode(&b64, b"0aGk="), Incoming::Data(0, b"hi".to_vec()));
        assert!(matches!(decode(&b64, b"0!!"), Incoming::Invalid(_)));
        let v5 = EXEC_PROTOCOLS[0];
        assert_eq!(encode(&v5, 2, b"x"), (false, vec![2, b'x']));
        assert_eq!(decode(&v5, &[255, 0]), Incoming::Close(0));
        assert!(matches!(decode(&v5, &[255, 0, 1]), Incoming::Invalid(_)));
        assert_eq!(
            decode(&EXEC_PROTOCOLS[1], &[255, 0]),
            Incoming::Data(255, vec![0])
        );
        assert_eq!(decode(&v5, &[]), Incoming::Empty);
    }
}
