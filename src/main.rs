fn main() {
    leptos::mount::mount_to_body(routescope_web::App);
}
