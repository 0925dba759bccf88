/* ui-application.h: the OmniLive application: owns the engine objects the
 * windows observe, parses the command line, sets up accelerators. */
#pragma once

#include <adwaita.h>

#include "engine-account.h"
#include "engine-reminders.h"
#include "engine-session-list.h"
#include "engine-ticket-list.h"

G_BEGIN_DECLS

#define UI_TYPE_APPLICATION (ui_application_get_type ())
G_DECLARE_FINAL_TYPE (UiApplication, ui_application, UI, APPLICATION, AdwApplication)

UiApplication     *ui_application_new             (void);
/* The running application, for widgets that need engine objects. */
UiApplication     *ui_application_get_default     (void);
GSettings         *ui_application_get_settings    (UiApplication *self);
EngineTicketStore *ui_application_get_store       (UiApplication *self);
EngineTicketList  *ui_application_get_tickets     (UiApplication *self);
EngineAccount     *ui_application_get_account     (UiApplication *self);
EngineRelayClient *ui_application_get_client      (UiApplication *self);
EngineSessionList *ui_application_get_upcoming    (UiApplication *self);
EngineSessionList *ui_application_get_past        (UiApplication *self);
/* Why the ticket database could not be opened, or NULL. */
const GError      *ui_application_get_store_error (UiApplication *self);
gboolean           ui_application_get_store_ready (UiApplication *self);
/* Opens the ticket database again from scratch (after the user confirmed). */
void               ui_application_reset_store     (UiApplication *self);
/* TRUE when the first-run sign-in page should greet the user. */
gboolean           ui_application_is_first_run    (UiApplication *self);
/* Refreshes the upcoming and past session lists. */
void               ui_application_refresh_sessions (UiApplication *self);

G_END_DECLS
