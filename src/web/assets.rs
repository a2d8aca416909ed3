//! Static files compiled into the binary, so the binary alone serves the whole UI.
use actix_web::http::header;
use actix_web::{HttpResponse, web};

#[derive(rust_embed::RustEmbed)]
#[folder = "static/"]
struct Static;

pub async fn serve(path: web::Path<String>) -> HttpResponse {
    match Static::get(&path) {
        Some(file) => {
            let mime = mime_guess::from_path(path.as_str()).first_or_octet_stream();
            HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, mime.as_ref()))
                // Assets change only with a new binary; an hour is short enough for upgrades.
                .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
                .body(file.data.into_owned())
        }
        None => HttpResponse::NotFound().finish(),
    }
}

/// `/favicon.ico`, which browsers ask for on every page whatever the markup says.
pub async fn favicon() -> HttpResponse {
    serve(web::Path::from("favicon.ico".to_owned())).await
}
