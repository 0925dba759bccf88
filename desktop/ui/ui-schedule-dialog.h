/* ui-schedule-dialog.h: Schedule Session (and Edit Session): every field of
 * the product's form, inline validation, templates, "Create & Send Invites". */
#pragma once

#include <adwaita.h>

#include "engine-session.h"

G_BEGIN_DECLS

#define UI_TYPE_SCHEDULE_DIALOG (ui_schedule_dialog_get_type ())
G_DECLARE_FINAL_TYPE (UiScheduleDialog, ui_schedule_dialog, UI, SCHEDULE_DIALOG, AdwWindow)

/* session: NULL to schedule a new one, else the session to edit. Emits
 * "done" (a message for a toast) once the relay accepted it, then closes. */
UiScheduleDialog *ui_schedule_dialog_new        (GtkWindow        *parent,
                                                 EngineSession    *session);
/* The validation message shown, or NULL; for tests. */
const char       *ui_schedule_dialog_get_error  (UiScheduleDialog *self);
/* How many invitees are listed and how many of them are flagged. */
guint             ui_schedule_dialog_count_invitees (UiScheduleDialog *self,
                                                     guint            *n_flagged);

G_END_DECLS
