/* ui-schedule-dialog.c: copies the widgets into an EngineScheduleForm,
 * validates it with the relay's own rules, then creates (or patches) the
 * session. Errors name a field; the matching row is marked. */
#define G_LOG_DOMAIN "ui-schedule-dialog"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "omni-error.h"
#include "omni-time.h"

#include "engine-schedule-form.h"
#include "ui-application.h"
#include "ui-schedule-dialog.h"

struct _UiScheduleDialog
{
  AdwWindow parent_instance;

  GtkWidget *create_button;
  GtkMenuButton *templates_button;
  GMenu *templates_section;
  GtkRevealer *error_revealer;
  GtkLabel *error_label;
  AdwEntryRow *title_row;
  AdwComboRow *type_row;
  AdwEntryRow *description_row;
  GtkTextView *agenda_view;
  AdwActionRow *start_row;
  GtkMenuButton *start_date_button;
  GtkCalendar *start_calendar;
  GtkSpinButton *start_hour;
  GtkSpinButton *start_minute;
  AdwActionRow *end_row;
  GtkMenuButton *end_date_button;
  GtkCalendar *end_calendar;
  GtkSpinButton *end_hour;
  GtkSpinButton *end_minute;
  AdwExpanderRow *recurrence_row;
  GtkSpinButton *count_spin;
  AdwEntryRow *invitee_name_row;
  AdwEntryRow *invitee_email_row;
  AdwExpanderRow *paste_row;
  GtkTextView *paste_view;
  AdwPreferencesGroup *invitees_group;
  GtkListBox *invitees_box;
  AdwActionRow *max_row;
  GtkSpinButton *max_spin;
  AdwPasswordEntryRow *password_row;
  AdwEntryRow *domains_row;
  GtkSwitch *waiting_room_switch;
  GtkSwitch *approval_switch;
  GtkSwitch *recording_switch;
  GtkSwitch *screen_share_switch;
  GtkSwitch *chat_switch;

  EngineScheduleForm *form;
  EngineSession *session;     /* the one being edited, or NULL */
  GPtrArray *marked;          /* widgets with the "error" class */
  char *error;
  gboolean filling;
  gboolean busy;
};

enum {
  DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (UiScheduleDialog, ui_schedule_dialog, ADW_TYPE_WINDOW)

static char *
text_view_get_text (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
set_text_view_text (GtkTextView *view,
                    const char  *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), text ? text : "", -1);
}

static gint64
read_time (GtkCalendar   *calendar,
           GtkSpinButton *hour,
           GtkSpinButton *minute)
{
  g_autoptr(GDateTime) date = gtk_calendar_get_date (calendar);
  g_autoptr(GDateTime) local = g_date_time_new_local (g_date_time_get_year (date),
                                                      g_date_time_get_month (date),
                                                      g_date_time_get_day_of_month (date),
                                                      gtk_spin_button_get_value_as_int (hour),
                                                      gtk_spin_button_get_value_as_int (minute), 0);

  return g_date_time_to_unix (local) * 1000;
}

static void
write_time (gint64         ms,
            GtkCalendar   *calendar,
            GtkMenuButton *button,
            GtkSpinButton *hour,
            GtkSpinButton *minute)
{
  g_autoptr(GDateTime) local = g_date_time_new_from_unix_local (ms / 1000);
  /* Translators: a date on the date picker button, see strftime(3) */
  g_autofree char *label = g_date_time_format (local, _("%a, %b %e, %Y"));

  gtk_calendar_select_day (calendar, local);
  gtk_menu_button_set_label (button, label);
  gtk_spin_button_set_value (hour, g_date_time_get_hour (local));
  gtk_spin_button_set_value (minute, g_date_time_get_minute (local));
}

static void
clear_marks (UiScheduleDialog *self)
{
  for (guint i = 0; i < self->marked->len; i++)
    gtk_widget_remove_css_class (g_ptr_array_index (self->marked, i), "error");
  g_ptr_array_set_size (self->marked, 0);
  g_clear_pointer (&self->error, g_free);
  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
}

static void
mark (UiScheduleDialog *self,
      GtkWidget        *widget)
{
  if (widget == NULL)
    return;
  gtk_widget_add_css_class (widget, "error");
  g_ptr_array_add (self->marked, g_object_ref (widget));
}

static GtkWidget *
widget_for_field (UiScheduleDialog *self,
                  const char       *field)
{
  static const struct { const char *prefix; gsize offset; } map[] = {
    { "title",              G_STRUCT_OFFSET (UiScheduleDialog, title_row) },
    { "description",        G_STRUCT_OFFSET (UiScheduleDialog, description_row) },
    { "agenda",             G_STRUCT_OFFSET (UiScheduleDialog, agenda_view) },
    { "sessionType",        G_STRUCT_OFFSET (UiScheduleDialog, type_row) },
    { "scheduledStartTime", G_STRUCT_OFFSET (UiScheduleDialog, start_row) },
    { "scheduledEndTime",   G_STRUCT_OFFSET (UiScheduleDialog, end_row) },
    { "maxParticipants",    G_STRUCT_OFFSET (UiScheduleDialog, max_row) },
    { "password",           G_STRUCT_OFFSET (UiScheduleDialog, password_row) },
    { "allowedDomains",     G_STRUCT_OFFSET (UiScheduleDialog, domains_row) },
    { "recurrence",         G_STRUCT_OFFSET (UiScheduleDialog, recurrence_row) },
  };
  guint index;

  if (field == NULL)
    return NULL;
  if (sscanf (field, "participants[%u]", &index) == 1)
    return GTK_WIDGET (gtk_list_box_get_row_at_index (self->invitees_box, (int) index));
  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_str_has_prefix (field, map[i].prefix))
      return G_STRUCT_MEMBER (GtkWidget *, self, map[i].offset);
  return NULL;
}

static void
show_error (UiScheduleDialog *self,
            const GError     *error)
{
  GtkWidget *widget;

  clear_marks (self);
  self->error = g_strdup (error->message);
  gtk_label_set_text (self->error_label, error->message);
  gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
  widget = widget_for_field (self, omni_error_get_field (error));
  mark (self, widget);
  if (widget != NULL)
    gtk_widget_grab_focus (widget);
}

static const char *
problem_text (EngineInviteeProblem problem)
{
  switch (problem)
    {
    case ENGINE_INVITEE_INVALID:            return _("Not a valid e-mail address");
    case ENGINE_INVITEE_DUPLICATE:          return _("Listed more than once");
    case ENGINE_INVITEE_DOMAIN_NOT_ALLOWED: return _("Not in an allowed domain");
    case ENGINE_INVITEE_OK:
    default:                                return NULL;
    }
}

static void
rebuild_invitees (UiScheduleDialog *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->invitees_box))) != NULL)
    gtk_list_box_remove (self->invitees_box, child);

  for (guint i = 0; i < self->form->invitees->len; i++)
    {
      EngineFormInvitee *invitee = g_ptr_array_index (self->form->invitees, i);
      const char *problem = problem_text (invitee->problem);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     *invitee->name ? invitee->name : invitee->email);
      if (problem != NULL)
        {
          g_autofree char *subtitle = g_strdup_printf ("%s — %s", invitee->email, problem);
          GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");

          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
          gtk_widget_set_tooltip_text (icon, problem);
          adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
          gtk_widget_add_css_class (row, "error");
        }
      else
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), invitee->email);

      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, _("Remove"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (remove), "schedule.remove-participant");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (remove), "u", i);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      gtk_list_box_append (self->invitees_box, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->invitees_group), self->form->invitees->len > 0);
}

/* Shows the form's option fields (after a preset or a template). */
static void
write_options (UiScheduleDialog *self)
{
  EngineScheduleForm *form = self->form;

  self->filling = TRUE;
  adw_combo_row_set_selected (self->type_row, form->type);
  gtk_spin_button_set_value (self->max_spin, form->max_participants);
  gtk_switch_set_active (self->waiting_room_switch, form->waiting_room_enabled);
  gtk_switch_set_active (self->approval_switch, form->requires_approval);
  gtk_switch_set_active (self->recording_switch, form->enable_recording);
  gtk_switch_set_active (self->screen_share_switch, form->enable_screen_share);
  gtk_switch_set_active (self->chat_switch, form->enable_chat);
  self->filling = FALSE;
}

static void
write_form (UiScheduleDialog *self)
{
  EngineScheduleForm *form = self->form;

  self->filling = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->title_row), form->title ? form->title : "");
  gtk_editable_set_text (GTK_EDITABLE (self->description_row), form->description ? form->description : "");
  set_text_view_text (self->agenda_view, form->agenda);
  write_time (form->start_ms, self->start_calendar, self->start_date_button, self->start_hour, self->start_minute);
  write_time (form->end_ms, self->end_calendar, self->end_date_button, self->end_hour, self->end_minute);
  adw_expander_row_set_enable_expansion (self->recurrence_row, form->weekly_count > 1);
  if (form->weekly_count > 1)
    gtk_spin_button_set_value (self->count_spin, form->weekly_count);
  gtk_editable_set_text (GTK_EDITABLE (self->domains_row), form->allowed_domains ? form->allowed_domains : "");
  self->filling = FALSE;
  write_options (self);
  rebuild_invitees (self);
}

/* Copies every widget into the form; invitees already live there. */
static void
read_form (UiScheduleDialog *self)
{
  EngineScheduleForm *form = self->form;

  g_free (form->title);
  form->title = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->title_row)));
  g_free (form->description);
  form->description = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->description_row)));
  g_free (form->agenda);
  form->agenda = text_view_get_text (self->agenda_view);
  form->type = MIN (adw_combo_row_get_selected (self->type_row), OMNI_SESSION_N_TYPES - 1);
  form->start_ms = read_time (self->start_calendar, self->start_hour, self->start_minute);
  form->end_ms = read_time (self->end_calendar, self->end_hour, self->end_minute);
  form->weekly_count = adw_expander_row_get_enable_expansion (self->recurrence_row)
                       ? gtk_spin_button_get_value_as_int (self->count_spin) : 1;
  form->max_participants = gtk_spin_button_get_value_as_int (self->max_spin);
  g_free (form->password);
  form->password = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->password_row)));
  g_free (form->allowed_domains);
  form->allowed_domains = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->domains_row)));
  form->waiting_room_enabled = gtk_switch_get_active (self->waiting_room_switch);
  form->requires_approval = gtk_switch_get_active (self->approval_switch);
  form->enable_recording = gtk_switch_get_active (self->recording_switch);
  form->enable_screen_share = gtk_switch_get_active (self->screen_share_switch);
  form->enable_chat = gtk_switch_get_active (self->chat_switch);
}

static void
rebuild_templates_menu (UiScheduleDialog *self)
{
  GSettings *settings = ui_application_get_settings (ui_application_get_default ());
  g_autoptr(GVariant) templates = g_settings_get_value (settings, "session-templates");
  GVariantIter iter;
  const char *name;

  g_menu_remove_all (self->templates_section);
  g_variant_iter_init (&iter, templates);
  while (g_variant_iter_next (&iter, "{&s&s}", &name, NULL))
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (name, NULL);
      g_menu_item_set_action_and_target_value (item, "schedule.apply-template", g_variant_new_string (name));
      g_menu_append_item (self->templates_section, item);
    }
}

static void
on_type_selected (UiScheduleDialog *self)
{
  if (self->filling)
    return;
  engine_schedule_form_apply_type (self->form, MIN (adw_combo_row_get_selected (self->type_row),
                                                    OMNI_SESSION_N_TYPES - 1));
  write_options (self);
}

static void
on_date_selected (UiScheduleDialog *self,
                  GtkCalendar      *calendar)
{
  gint64 start, end;

  if (self->filling)
    return;
  /* Moving the start day moves the end with it, keeping the duration. */
  end = read_time (self->end_calendar, self->end_hour, self->end_minute);
  start = read_time (self->start_calendar, self->start_hour, self->start_minute);
  if (calendar == self->start_calendar)
    {
      gint64 duration = self->form->end_ms - self->form->start_ms;
      end = start + MAX (duration, OMNI_MS_PER_MINUTE);
    }
  self->form->start_ms = start;
  self->form->end_ms = end;
  self->filling = TRUE;
  write_time (start, self->start_calendar, self->start_date_button, self->start_hour, self->start_minute);
  write_time (end, self->end_calendar, self->end_date_button, self->end_hour, self->end_minute);
  self->filling = FALSE;
  gtk_menu_button_popdown (calendar == self->start_calendar ? self->start_date_button : self->end_date_button);
}

static void
on_time_changed (UiScheduleDialog *self)
{
  if (self->filling)
    return;
  self->form->start_ms = read_time (self->start_calendar, self->start_hour, self->start_minute);
  self->form->end_ms = read_time (self->end_calendar, self->end_hour, self->end_minute);
}

static gboolean
on_spin_output (GtkSpinButton *spin,
                gpointer       user_data)
{
  g_autofree char *text = g_strdup_printf ("%02d", gtk_spin_button_get_value_as_int (spin));

  gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

static void
on_domains_changed (UiScheduleDialog *self)
{
  if (self->filling)
    return;
  g_free (self->form->allowed_domains);
  self->form->allowed_domains = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->domains_row)));
  engine_schedule_form_check_invitees (self->form);
  rebuild_invitees (self);
}

static void
add_participant_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  UiScheduleDialog *self = UI_SCHEDULE_DIALOG (widget);
  const char *email = gtk_editable_get_text (GTK_EDITABLE (self->invitee_email_row));
  g_autofree char *name = NULL;
  g_autofree char *address = NULL;

  if (*email == '\0')
    return;
  /* "Jane <jane@example.com>" typed into the address field works too. */
  engine_parse_invitee_line (email, &name, &address);
  if (*name == '\0')
    {
      g_free (name);
      name = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->invitee_name_row)));
    }
  engine_schedule_form_add_invitee (self->form, name, address);
  gtk_editable_set_text (GTK_EDITABLE (self->invitee_name_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->invitee_email_row), "");
  clear_marks (self);
  rebuild_invitees (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->invitee_name_row));
}

static void
on_email_activated (UiScheduleDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "schedule.add-participant", NULL);
}

static void
add_list_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  UiScheduleDialog *self = UI_SCHEDULE_DIALOG (widget);
  g_autofree char *text = text_view_get_text (self->paste_view);

  if (engine_schedule_form_add_invitee_list (self->form, text) > 0)
    {
      set_text_view_text (self->paste_view, "");
      adw_expander_row_set_expanded (self->paste_row, FALSE);
    }
  clear_marks (self);
  rebuild_invitees (self);
}

static void
remove_participant_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  UiScheduleDialog *self = UI_SCHEDULE_DIALOG (widget);
  guint index = g_variant_get_uint32 (parameter);

  if (index < self->form->invitees->len)
    engine_schedule_form_remove_invitee (self->form, index);
  clear_marks (self);
  rebuild_invitees (self);
}

static void
on_template_name_response (AdwMessageDialog *dialog,
                           const char       *response,
                           UiScheduleDialog *self)
{
  GSettings *settings = ui_application_get_settings (ui_application_get_default ());
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  g_autofree char *json = NULL;
  g_autoptr(GVariant) old = NULL;
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{ss}"));
  GVariantIter iter;
  const char *key, *value;

  if (g_strcmp0 (response, "save") != 0 || *name == '\0')
    return;

  read_form (self);
  json = engine_schedule_form_to_template (self->form);
  old = g_settings_get_value (settings, "session-templates");
  g_variant_iter_init (&iter, old);
  while (g_variant_iter_next (&iter, "{&s&s}", &key, &value))
    if (g_strcmp0 (key, name) != 0)
      g_variant_builder_add (&builder, "{ss}", key, value);
  g_variant_builder_add (&builder, "{ss}", name, json);
  g_settings_set_value (settings, "session-templates", g_variant_builder_end (&builder));
  rebuild_templates_menu (self);
}

static void
save_template_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  UiScheduleDialog *self = UI_SCHEDULE_DIALOG (widget);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Save as Template"),
                                              _("Templates keep the type, texts, options, duration and participants."));
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Template name"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_editable_set_text (GTK_EDITABLE (entry), gtk_editable_get_text (GTK_EDITABLE (self->title_row)));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "save", _("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_template_name_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
apply_template_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  UiScheduleDialog *self = UI_SCHEDULE_DIALOG (widget);
  GSettings *settings = ui_application_get_settings (ui_application_get_default ());
  g_autoptr(GVariant) templates = g_settings_get_value (settings, "session-templates");
  g_autoptr(GError) error = NULL;
  const char *json = NULL;

  if (!g_variant_lookup (templates, g_variant_get_string (parameter, NULL), "&s", &json))
    return;
  read_form (self);
  if (!engine_schedule_form_apply_template (self->form, json, &error))
    {
      show_error (self, error);
      return;
    }
  write_form (self);
}

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(UiScheduleDialog) self = user_data;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  g_autofree char *message = NULL;

  self->busy = FALSE;
  gtk_widget_set_sensitive (self->create_button, TRUE);

  node = engine_relay_client_request_finish (ENGINE_RELAY_CLIENT (source), result, &error);
  if (error == NULL && self->session == NULL)
    sessions = engine_relay_sessions_from_json (node, &error);
  if (error != NULL)
    {
      show_error (self, error);
      return;
    }

  if (self->session != NULL)
    message = g_strdup (_("Session updated"));
  else if (sessions->len > 1)
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u session scheduled; invitations are on their way",
                                            "%u sessions scheduled; invitations are on their way", sessions->len),
                               sessions->len);
  else
    message = g_strdup (_("Session scheduled; invitations are on their way"));

  ui_application_refresh_sessions (ui_application_get_default ());
  g_signal_emit (self, signals[DONE], 0, message);
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_participants_added (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(UiScheduleDialog) self = user_data;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonNode) body_node = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  node = engine_relay_client_request_finish (ENGINE_RELAY_CLIENT (source), result, &error);
  if (error != NULL)
    {
      self->busy = FALSE;
      gtk_widget_set_sensitive (self->create_button, TRUE);
      show_error (self, error);
      return;
    }

  body = engine_schedule_form_to_update_json (self->form);
  body_node = json_node_init_object (json_node_alloc (), body);
  escaped = g_uri_escape_string (engine_session_get_id (self->session), NULL, FALSE);
  path = g_strconcat ("/api/sessions/", escaped, NULL);
  engine_relay_client_request_async (ENGINE_RELAY_CLIENT (source), "PATCH", path, body_node, NULL,
                                     on_saved, g_object_ref (self));
}

/* The invitees of the form that the session does not have yet. */
static JsonNode *
new_invitees_body (UiScheduleDialog *self)
{
  const OmniSession *s = engine_session_get_session (self->session);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint added = 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "participants");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->form->invitees->len; i++)
    {
      EngineFormInvitee *invitee = g_ptr_array_index (self->form->invitees, i);
      gboolean known = FALSE;

      for (guint j = 0; s->participants != NULL && j < s->participants->len && !known; j++)
        known = g_ascii_strcasecmp (((OmniParticipant *) g_ptr_array_index (s->participants, j))->email,
                                    invitee->email) == 0;
      if (known)
        continue;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "email");
      json_builder_add_string_value (builder, invitee->email);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, invitee->name);
      json_builder_end_object (builder);
      added++;
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return added > 0 ? json_builder_get_root (builder) : NULL;
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  UiScheduleDialog *self = UI_SCHEDULE_DIALOG (widget);
  EngineRelayClient *client = ui_application_get_client (ui_application_get_default ());
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (self->busy)
    return;
  read_form (self);
  clear_marks (self);
  if (!engine_schedule_form_validate (self->form, omni_time_now_ms (), &error))
    {
      rebuild_invitees (self);
      show_error (self, error);
      return;
    }

  self->busy = TRUE;
  gtk_widget_set_sensitive (self->create_button, FALSE);

  if (self->session == NULL)
    {
      g_autoptr(JsonObject) body = engine_schedule_form_to_json (self->form);
      node = json_node_init_object (json_node_alloc (), body);
      engine_relay_client_request_async (client, "POST", "/api/sessions", node, NULL,
                                         on_saved, g_object_ref (self));
    }
  else
    {
      g_autofree char *escaped = g_uri_escape_string (engine_session_get_id (self->session), NULL, FALSE);
      g_autofree char *path = g_strconcat ("/api/sessions/", escaped, "/participants", NULL);

      node = new_invitees_body (self);
      if (node != NULL)
        engine_relay_client_request_async (client, "POST", path, node, NULL,
                                           on_participants_added, g_object_ref (self));
      else
        {
          g_autoptr(JsonObject) body = engine_schedule_form_to_update_json (self->form);
          g_autofree char *patch_path = g_strconcat ("/api/sessions/", escaped, NULL);

          node = json_node_init_object (json_node_alloc (), body);
          engine_relay_client_request_async (client, "PATCH", patch_path, node, NULL,
                                             on_saved, g_object_ref (self));
        }
    }
}

static void
ui_schedule_dialog_dispose (GObject *object)
{
  UiScheduleDialog *self = (UiScheduleDialog *) object;

  g_clear_object (&self->session);
  g_clear_pointer (&self->marked, g_ptr_array_unref);

  G_OBJECT_CLASS (ui_schedule_dialog_parent_class)->dispose (object);
}

static void
ui_schedule_dialog_finalize (GObject *object)
{
  UiScheduleDialog *self = (UiScheduleDialog *) object;

  g_clear_pointer (&self->form, engine_schedule_form_free);
  g_free (self->error);

  G_OBJECT_CLASS (ui_schedule_dialog_parent_class)->finalize (object);
}

static void
ui_schedule_dialog_class_init (UiScheduleDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ui_schedule_dialog_dispose;
  object_class->finalize = ui_schedule_dialog_finalize;

  /* The relay accepted the session; the argument is a message for a toast. */
  signals[DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/omnilive/OmniLive/ui/schedule-dialog.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, UiScheduleDialog, name)
  BIND (create_button);
  BIND (templates_button);
  BIND (templates_section);
  BIND (error_revealer);
  BIND (error_label);
  BIND (title_row);
  BIND (type_row);
  BIND (description_row);
  BIND (agenda_view);
  BIND (start_row);
  BIND (start_date_button);
  BIND (start_calendar);
  BIND (start_hour);
  BIND (start_minute);
  BIND (end_row);
  BIND (end_date_button);
  BIND (end_calendar);
  BIND (end_hour);
  BIND (end_minute);
  BIND (recurrence_row);
  BIND (count_spin);
  BIND (invitee_name_row);
  BIND (invitee_email_row);
  BIND (paste_row);
  BIND (paste_view);
  BIND (invitees_group);
  BIND (invitees_box);
  BIND (max_row);
  BIND (max_spin);
  BIND (password_row);
  BIND (domains_row);
  BIND (waiting_room_switch);
  BIND (approval_switch);
  BIND (recording_switch);
  BIND (screen_share_switch);
  BIND (chat_switch);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_type_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_date_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_time_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_spin_output);
  gtk_widget_class_bind_template_callback (widget_class, on_domains_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_email_activated);

  gtk_widget_class_install_action (widget_class, "schedule.create", NULL, create_action);
  gtk_widget_class_install_action (widget_class, "schedule.add-participant", NULL, add_participant_action);
  gtk_widget_class_install_action (widget_class, "schedule.add-list", NULL, add_list_action);
  gtk_widget_class_install_action (widget_class, "schedule.remove-participant", "u", remove_participant_action);
  gtk_widget_class_install_action (widget_class, "schedule.save-template", NULL, save_template_action);
  gtk_widget_class_install_action (widget_class, "schedule.apply-template", "s", apply_template_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ui_schedule_dialog_init (UiScheduleDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->marked = g_ptr_array_new_with_free_func (g_object_unref);
}

UiScheduleDialog *
ui_schedule_dialog_new (GtkWindow     *parent,
                        EngineSession *session)
{
  UiScheduleDialog *self = g_object_new (UI_TYPE_SCHEDULE_DIALOG,
                                         "transient-for", parent,
                                         "application", gtk_window_get_application (parent),
                                         NULL);

  if (session != NULL)
    {
      self->session = g_object_ref (session);
      self->form = engine_schedule_form_new_from_session (engine_session_get_session (session));
      gtk_window_set_title (GTK_WINDOW (self), _("Edit Session"));
      gtk_button_set_label (GTK_BUTTON (self->create_button), _("_Save"));
      gtk_widget_set_visible (GTK_WIDGET (self->recurrence_row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->password_row),
                                     _("New Password (empty keeps the current one)"));
    }
  else
    self->form = engine_schedule_form_new (omni_time_now_ms ());

  write_form (self);
  rebuild_templates_menu (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->title_row));
  return self;
}

const char *
ui_schedule_dialog_get_error (UiScheduleDialog *self)
{
  g_return_val_if_fail (UI_IS_SCHEDULE_DIALOG (self), NULL);
  return self->error;
}

guint
ui_schedule_dialog_count_invitees (UiScheduleDialog *self,
                                   guint            *n_flagged)
{
  guint flagged = 0;

  g_return_val_if_fail (UI_IS_SCHEDULE_DIALOG (self), 0);

  for (guint i = 0; i < self->form->invitees->len; i++)
    flagged += ((EngineFormInvitee *) g_ptr_array_index (self->form->invitees, i))->problem != ENGINE_INVITEE_OK;
  if (n_flagged != NULL)
    *n_flagged = flagged;
  return self->form->invitees->len;
}
