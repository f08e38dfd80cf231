//! A TCP proxy on 127.0.0.1 that a test cuts and restores: the database going away and coming
//! back, as an instance behind it sees it. Cut, it closes every open connection and every new
//! one at once (as a server that went down, or a network that resets).

use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub addr: SocketAddr,
    up: watch::Sender<bool>,
}

impl Proxy {
    /// Forwards a free loopback port to `target`, on a thread and runtime of its own, so a test
    /// blocked in a synchronous call (an app starting) cannot stall it.
    pub fn start(target: SocketAddr) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("bound");
        let (up, watching) = watch::channel(true);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("a tokio listener");
                // Ends when the Proxy (the sender) is dropped.
                let mut closed = watching.clone();
                loop {
                    let (client, _) = tokio::select! {
                        accepted = listener.accept() => match accepted {
                            Ok(a) => a,
                            Err(_) => continue,
                        },
                        changed = closed.changed() => match changed {
                            Ok(()) => continue,
                            Err(_) => return,
                        },
                    };
                    if !*watching.borrow() {
                        drop(client);
                        continue;
                    }
                    let mut cut = watching.clone();
                    tokio::spawn(async move {
                        let Ok(mut server) = TcpStream::connect(target).await else { return };
                        let mut client = client;
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = cut.wait_for(|up| !*up) => {}
                        }
                    });
                }
            })
        });
        Proxy { addr, up }
    }

    /// Drops every connection and refuses new ones until `restore`.
    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    pub fn restore(&self) {
        self.up.send_replace(true);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}
