//! The server's own mail (alerts to feed owners), through `--smtp-url` and `--mail-from`. Not
//! a hook: the operator chose this server, so `--allow-hosts` does not apply to it.
use std::fmt;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

/// A parsed `--smtp-url`: `smtp://user:pass@host:587?tls=starttls`, `smtps://host`,
/// `smtp://host:25`. The password is a secret: `Debug` and [`SmtpUrl::shown`] leave it out.
#[derive(Clone)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

impl SmtpUrl {
    /// The URL without its password, for logs.
    pub fn shown(&self) -> String {
        let scheme = if self.tls == SmtpTls::Tls {
            "smtps"
        } else {
            "smtp"
        };
        let user = self
            .username
            .as_ref()
            .map(|u| format!("{u}:[redacted]@"))
            .unwrap_or_default();
        let tls = if self.tls == SmtpTls::Starttls {
            "?tls=starttls"
        } else {
            ""
        };
        format!("{scheme}://{user}{}:{}{tls}", self.host, self.port)
    }

    pub fn parse(s: &str) -> Result<SmtpUrl, String> {
        // The error never repeats the value: it may hold a password.
        let url = Url::parse(s)
            .map_err(|e| format!("not a URL ({e}); try smtp://user:pass@host:587?tls=starttls"))?;
        let implicit_tls = match url.scheme() {
            "smtp" => false,
            "smtps" => true,
            _ => return Err("the scheme must be smtp or smtps".into()),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the URL needs a host")?
            .to_owned();
        let mut tls = if implicit_tls {
            SmtpTls::Tls
        } else {
            SmtpTls::None
        };
        for (k, v) in url.query_pairs() {
            match (k.as_ref(), v.as_ref()) {
                ("tls", "starttls") if !implicit_tls => tls = SmtpTls::Starttls,
                ("tls", "none") if !implicit_tls => tls = SmtpTls::None,
                ("tls", "tls") => tls = SmtpTls::Tls,
                _ => {
                    return Err(
                        "the only query is tls=starttls, tls=tls or tls=none (smtp:// only)".into(),
                    );
                }
            }
        }
        let port = url.port().unwrap_or(match tls {
            SmtpTls::Tls => 465,
            SmtpTls::Starttls => 587,
            SmtpTls::None => 25,
        });
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| "the user name and password must be UTF-8".to_owned())
        };
        let username = match url.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = url
            .password()
            .map(|p| decode(p).map(SecretString::from))
            .transpose()?;
        Ok(SmtpUrl {
            host,
            port,
            tls,
            username,
            password,
        })
    }
}

/// One message of the server's own.
pub struct OwnMail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
}

/// Sends the server's own mail; `None` settings mean mail is off.
#[derive(Clone)]
pub struct Mailer {
    url: SmtpUrl,
    from: Mailbox,
    extra_roots: Vec<Vec<u8>>,
    timeout: Duration,
}

impl Mailer {
    pub fn new(
        url: SmtpUrl,
        from: &str,
        extra_roots: Vec<Vec<u8>>,
        timeout: Duration,
    ) -> Result<Self, String> {
        let from = from
            .parse()
            .map_err(|e| format!("--mail-from {from:?} is not an address: {e}"))?;
        Ok(Mailer {
            url,
            from,
            extra_roots,
            timeout,
        })
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let params = || {
            let mut b = TlsParameters::builder(self.url.host.clone());
            for pem in &self.extra_roots {
                let cert = Certificate::from_pem(pem).map_err(|e| e.to_string())?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls().map_err(|e| e.to_string())
        };
        let tls = match self.url.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(params()?),
            SmtpTls::Tls => Tls::Wrapper(params()?),
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.url.host)
            .port(self.url.port)
            .tls(tls)
            .timeout(Some(self.timeout));
        if let (Some(u), Some(p)) = (&self.url.username, &self.url.password) {
            b = b.credentials(Credentials::new(u.clone(), p.expose_secret().to_owned()));
        }
        Ok(b.build())
    }

    /// Sends one message to all its recipients; the error is for the log (no secret in it:
    /// lettre's errors name the server's answer, not the credentials).
    pub async fn send(&self, m: &OwnMail) -> Result<(), String> {
        let mut b = Message::builder()
            .from(self.from.clone())
            .subject(m.subject.clone())
            .message_id(Some(format!(
                "<{}@{}>",
                uuid::Uuid::new_v4(),
                self.from.email.domain()
            )))
            .header(lettre::message::header::MIME_VERSION_1_0)
            .header(ContentType::TEXT_PLAIN);
        for to in &m.to {
            let mailbox: Mailbox = to
                .parse()
                .map_err(|e| format!("the address {to:?} is invalid: {e}"))?;
            b = b.to(mailbox);
        }
        let message = b.body(m.text.clone()).map_err(|e| e.to_string())?;
        self.transport()?
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("{} did not take the message: {e}", self.url.shown()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_read_as_documented_and_never_show_the_password() {
        let u = SmtpUrl::parse("smtp://ann:s%3Acret@mail.example:587?tls=starttls").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.tls),
            ("mail.example", 587, SmtpTls::Starttls)
        );
        assert_eq!(u.username.as_deref(), Some("ann"));
        assert_eq!(u.password.as_ref().unwrap().expose_secret(), "s:cret");
        assert!(!format!("{u:?}").contains("cret"));
        let u = SmtpUrl::parse("smtps://mail.example").unwrap();
        assert_eq!((u.port, u.tls), (465, SmtpTls::Tls));
        let u = SmtpUrl::parse("smtp://127.0.0.1:25").unwrap();
        assert_eq!((u.port, u.tls, u.username), (25, SmtpTls::None, None));
        for bad in [
            "http://x",
            "smtp://",
            "smtp://h?tls=maybe",
            "smtps://h?tls=starttls",
        ] {
            assert!(SmtpUrl::parse(bad).is_err(), "{bad}");
        }
        let e = SmtpUrl::parse("ftp://u:topsecret@h").unwrap_err();
        assert!(!e.contains("topsecret"));
    }
}
