import { AdminApp } from './admin-app';
import { AdminView } from './admin-view';
import { installAdminDebug } from './debug';

const app = new AdminApp(new AdminView());
app.start();
installAdminDebug(app);
